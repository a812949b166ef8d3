"""Every SQL statement the app issues, collected from the code. Used by
tests/unit/test_query_plans.py (CPython's SQLite), tests/integration/test_query_plans_d1.py
(D1's own engine, through the local runtime) and `make bench`.

Collection, not a hand-kept list:

- **Constants.** Every module of `src/edgejobs` is imported and every value it defines at
  module level is walked (strings, dicts, lists, tuples, dataclass instances). A public
  string that starts with a statement keyword (`SELECT`, `INSERT`, `UPDATE`, `DELETE`,
  `WITH`, `REPLACE`) and has no `{…}` format field is a statement and is checked as it is.
- **Builders.** SQL assembled at request time is produced by driving each builder over
  every variant it can produce (`DRIVERS`): the state machine's `transition_sql` over every
  action × every row selector, the claim for any type and every set of types, the event
  INSERT/DELETE over every selector and data expression, the export-job list over every
  combination of filters and cursor.
- **Completeness.** `uncovered_sql()` proves nothing escaped: every module-level string
  holding SQL (statement, template or fragment) must, piece by piece, appear in a collected
  statement, and every function whose body holds an SQL literal must be a registered
  builder. SQL added anywhere in `src/edgejobs` is therefore either checked or fails the test.

The rule their query plans must follow: tests/support/plan_rule.py.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import edgejobs
from edgejobs.core import events, states
from edgejobs.core.db import named
from edgejobs.exports import machine
from edgejobs.exports import model as export_model
from edgejobs.exports import sql as export_sql
from edgejobs.jobruns import sql as jobruns_sql
from edgejobs.reports import sql as reports_sql
from edgejobs.veo import sql as veo_sql

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "edgejobs"

STATEMENT_START = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE)\s+\S")
# Uppercase SQL that does not occur in prose, messages or HTTP method names.
SQL_MARKERS = re.compile(
    r"\b(SELECT\s+\S|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WHERE|ORDER\s+BY|RETURNING)\b"
)
FORMAT_FIELD = re.compile(r"\{[^{}]*\}")
LIMIT = re.compile(r"\bLIMIT\b", re.IGNORECASE)

# Statements that touch every row on purpose. origin → why.
EXEMPT: dict[str, str] = {}


@dataclass(frozen=True)
class SqlStatement:
    origin: str  # where: "veo.sql.GET_SQL", "core.states.transition_sql(export_jobs, claim, …)"
    sql: str  # as written in the code (`:name`, `?N` or `?` placeholders)

    def bound(self) -> tuple[str, list[Any]]:
        """The SQL and parameters as D1 receives them: `:name` through `db.named()`,
        with a plausible value for every placeholder."""
        names = set(re.findall(r"(?<![:\w]):([a-z_][a-z0-9_]*)", _outside_literals(self.sql)))
        if names:
            statement = named(self.sql, {name: placeholder_value(name) for name in names})
            return statement.sql, list(statement.params)
        numbered = [int(n) for n in re.findall(r"\?(\d+)", self.sql)]
        count = max(numbered) if numbered else _outside_literals(self.sql).count("?")
        return self.sql, [1] * count


def _outside_literals(sql: str) -> str:
    return "".join(sql.split("'")[::2])


def placeholder_value(name: str) -> object:
    """A value for a `:name` parameter. EXPLAIN does not run the statement and SQLite plans
    without looking at bound values (no STAT4), so only JSON lists need a real shape."""
    return '["00000000-0000-7000-8000-000000000000"]' if name in ("job_ids", "types") else 1


# --- collection ------------------------------------------------------------------------------
def app_modules() -> list[Any]:
    """Every module of the `edgejobs` package and its subpackages, imported. Fails when it
    finds fewer modules than there are files, so a module moved where the walk does not
    look can never silently drop out of the catalogue."""
    names = [
        info.name
        for info in pkgutil.walk_packages(edgejobs.__path__, prefix="edgejobs.")
        if not info.ispkg or (SRC / Path(*info.name.split(".")[1:]) / "__init__.py").stat().st_size
    ]
    files = [
        p
        for p in SRC.rglob("*.py")
        if p != SRC / "__init__.py" and (p.name != "__init__.py" or p.stat().st_size)
    ]
    assert len(names) == len(files), f"found {len(names)} modules but {len(files)} files under {SRC}"
    return [importlib.import_module(name) for name in names]


def _defined_names(module: Any) -> list[str]:
    """Names assigned at the top level of the module's own source (not imported ones)."""
    tree = ast.parse(Path(module.__file__).read_text())
    names: list[str] = []
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, string) for every string inside a constant."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}[{key!r}]")
    elif isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple (Action, Rows, …)
        for name in value._fields:
            yield from _walk(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")


def module_strings(modules: Iterable[Any] | None = None) -> list[tuple[str, str, bool]]:
    """(origin, text, public) for every string held by a module-level constant."""
    found = []
    for module in app_modules() if modules is None else modules:
        short = module.__name__.removeprefix("edgejobs.")
        for name in _defined_names(module):
            for path, text in _walk(getattr(module, name), f"{short}.{name}"):
                found.append((path, text, not name.startswith("_")))
    return found


def constant_statements(modules: Iterable[Any] | None = None) -> list[SqlStatement]:
    """Public module-level strings that are whole statements (no format fields)."""
    return [
        SqlStatement(origin, text)
        for origin, text, public in module_strings(modules)
        if public and STATEMENT_START.match(text) and not FORMAT_FIELD.search(text)
    ]


# --- builders driven over every variant ----------------------------------------------------------
def _constants_of_type(kind: type) -> dict[str, Any]:
    """origin → value for every public module-level constant of `kind` in the app."""
    return {
        f"{module.__name__.removeprefix('edgejobs.')}.{name}": getattr(module, name)
        for module in app_modules()
        for name in _defined_names(module)
        if not name.startswith("_") and isinstance(getattr(module, name), kind)
    }


def _selectors() -> dict[str, states.Rows]:
    """Every row selector the code declares (by id, by ids, the next claimable job, …)."""
    return _constants_of_type(states.Rows)


def _machines() -> list[tuple[states.Machine, list[states.Action]]]:
    """Every state machine, with the actions declared beside it (its module's `ACTIONS`)."""
    found = []
    for module in app_modules():
        for name in _defined_names(module):
            value = getattr(module, name)
            if isinstance(value, states.Machine):
                found.append((value, list(module.ACTIONS.values())))
    return found


def _home(kind: states.Machine) -> str:
    """The capability package that declares a machine ("exports.")."""
    return next(
        module.__name__.removeprefix("edgejobs.").split(".")[0] + "."
        for module in app_modules()
        for name in _defined_names(module)
        if getattr(module, name) is kind
    )


def _selectors_for(kind: states.Machine) -> dict[str, states.Rows]:
    """The row selectors a machine's records can be picked by: core's (by id, by ids) and those
    declared in the machine's own capability (another's selectors name its own columns)."""
    return {
        name: rows for name, rows in _selectors().items() if name.startswith(("core.states.", _home(kind)))
    }


def _condition_fragments() -> dict[str, str]:
    """Module-level WHERE conditions (`*_SQL` strings that are not statements) and every
    row selector's conditions: what the code hands to the event builders as `where`."""
    found = {
        origin: text
        for origin, text, public in module_strings()
        if public
        and origin.endswith("_SQL")
        and not STATEMENT_START.match(text)
        and not FORMAT_FIELD.search(text)
    }
    for name, rows in _selectors().items():
        found[f"{name}.update_where"] = rows.update_where
        found[f"{name}.event_where"] = rows.event_where
    return found


def drive_transition_sql() -> Iterator[SqlStatement]:
    for kind, actions in _machines():
        for action, (name, rows) in itertools.product(actions, _selectors_for(kind).items()):
            yield SqlStatement(
                f"core.states.transition_sql({kind.table}, {action.name}, {name})",
                states.transition_sql(kind, action, rows),
            )


def drive_claimable() -> Iterator[SqlStatement]:
    """The claim and its re-check for any type and for every set of types a runner can ask for."""
    types = export_model.TYPES
    subsets = [None, *(c for n in range(1, len(types) + 1) for c in itertools.combinations(sorted(types), n))]
    # More types than one compound SELECT may merge: one range filtered by type.
    subsets.append(tuple(f"type-{n}" for n in range(machine.MAX_MERGED_TYPES + 1)))
    for chosen in subsets:
        label = ",".join(chosen) if chosen else "any"
        for batch in (False, True):
            rows = machine.next_claimable(chosen, batch=batch)
            yield SqlStatement(
                f"exports.machine.claim(types={label}, batch={batch})",
                states.transition_sql(machine.EXPORT_JOBS, machine.CLAIM, rows),
            )
        yield SqlStatement(
            f"exports.machine.any_claimable_sql(types={label})", machine.any_claimable_sql(chosen)
        )


def drive_event_after_change() -> Iterator[SqlStatement]:
    for kind, actions in _machines():
        yield from _events_after_change(kind, actions)


def _events_after_change(kind: states.Machine, actions: list[states.Action]) -> Iterator[SqlStatement]:
    """A machine's event INSERTs: by each of its selectors, with each of its actions' data."""
    data = {"NULL"} | {a.event_data for a in actions}
    table = kind.table
    for (name, rows), expression in itertools.product(_selectors_for(kind).items(), sorted(data)):
        # The builder is `named(EVENT_AFTER_CHANGE_SQL.format(...))`; kept with `:name`s here.
        sql = events.EVENT_AFTER_CHANGE_SQL.format(table=table, where=rows.event_where, data=expression)
        yield SqlStatement(f"core.events.event_after_change({table}, {name}, {expression[:24]!r})", sql)
        yield SqlStatement(
            f"core.events.event_after_change({table}, {name}, {expression[:24]!r}, one_row)",
            sql + "LIMIT 1\n",
        )


def drive_delete_events_of() -> Iterator[SqlStatement]:
    for kind, _actions in _machines():
        fragments = _condition_fragments().items()
        yield from _delete_events_of(kind.table, [(o, w) for o, w in fragments if o.startswith(_home(kind))])


def _delete_events_of(table: str, fragments: list[tuple[str, str]]) -> Iterator[SqlStatement]:
    for origin, where in fragments:
        sql = events.DELETE_EVENTS_OF_SQL.format(table=table, where=where)
        yield SqlStatement(f"core.events.delete_events_of({table}, {origin})", sql)


def drive_export_list_sql() -> Iterator[SqlStatement]:
    status_choices: list[tuple[str, ...]] = [
        (),
        *((s,) for s in machine.STATUSES),
        export_model.ACTIVE,
        machine.STATUSES,
    ]
    for project, statuses, job_type, after in itertools.product(
        (None, 7), status_choices, (None, "overlay"), (None, "00000000-0000-7000-8000-000000000000")
    ):
        filters = export_model.ListFilter(project, statuses, job_type)
        label = f"project={project}, status={','.join(statuses) or '-'}, type={job_type}, after={bool(after)}"
        yield SqlStatement(f"exports.sql.list_sql({label})", export_sql.list_sql(filters, after))


def drive_veo_list_sql() -> Iterator[SqlStatement]:

    for key in itertools.product((False, True), repeat=3):
        yield SqlStatement(f"veo.sql._list_sql{key}", veo_sql._list_sql(*key))


def drive_job_run_list_sql() -> Iterator[SqlStatement]:
    for key in itertools.product((False, True), repeat=5):
        yield SqlStatement(f"jobruns.sql.list_sql{key}", jobruns_sql.list_sql(*key))


def drive_report_list_sql() -> Iterator[SqlStatement]:
    for key in itertools.product((False, True), repeat=4):
        yield SqlStatement(f"reports.sql.list_sql{key}", reports_sql.list_sql(*key))


def drive_newest_first_sql() -> Iterator[SqlStatement]:  # through the lists that use it
    yield from drive_job_run_list_sql()
    yield from drive_report_list_sql()


# function (module.qualname) whose body builds SQL → how to drive it over every variant.
DRIVERS: dict[str, Callable[[], Iterable[SqlStatement]]] = {
    "core.states.transition_sql": drive_transition_sql,
    "exports.machine.claimable_ids": drive_claimable,
    "exports.machine.any_claimable_sql": drive_claimable,
    "core.events.event_after_change": drive_event_after_change,
    "core.events.delete_events_of": drive_delete_events_of,
    "exports.sql.list_sql": drive_export_list_sql,
    "veo.sql._list_sql": drive_veo_list_sql,
    "jobruns.sql.list_sql": drive_job_run_list_sql,
    "reports.sql.list_sql": drive_report_list_sql,
    "core.dated.newest_first_sql": drive_newest_first_sql,
}


def driven_statements() -> list[SqlStatement]:
    return [statement for drive in DRIVERS.values() for statement in drive()]


def all_statements() -> list[SqlStatement]:
    """Every statement the app can issue, deduplicated by SQL text (first origin kept)."""
    unique: dict[str, SqlStatement] = {}
    for statement in [*constant_statements(), *driven_statements()]:
        unique.setdefault(" ".join(statement.sql.split()), statement)
    return list(unique.values())


# --- completeness --------------------------------------------------------------------------------
def _normalise(text: str) -> str:
    return " ".join(text.split())


def _sql_literals(node: ast.AST, docstrings: set[int]) -> list[str]:
    return [
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and id(n) not in docstrings
        and SQL_MARKERS.search(n.value)
    ]


def _functions_with_sql(
    node: ast.AST, prefix: str, docstrings: set[int], found: dict[str, list[str]]
) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}.{child.name}"
            literals = [] if isinstance(child, ast.ClassDef) else _sql_literals(child, docstrings)
            if literals:
                found[name] = literals
            _functions_with_sql(child, name, docstrings, found)


def sql_functions(source_files: Iterable[Path] | None = None) -> dict[str, list[str]]:
    """function (module.qualname) → the SQL-looking string literals in its body (docstrings
    excluded), for every function in the source files."""
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")) if source_files is None else source_files:
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        module = (
            ".".join(path.relative_to(SRC).with_suffix("").parts) if path.is_relative_to(SRC) else path.stem
        )
        _functions_with_sql(tree, module, docstrings, found)
    return found


def uncovered_sql(statements: list[SqlStatement], modules: Iterable[Any] | None = None) -> list[str]:
    """What escaped collection (empty when nothing did): module-level SQL text none of whose
    collected statements contains, and functions with SQL literals that are not drivers."""
    haystack = [_normalise(s.sql) for s in statements]
    problems = []
    for origin, text, _public in module_strings(modules):
        if not SQL_MARKERS.search(text):
            continue
        # A template's fixed pieces must all appear, in order, in one checked statement.
        pieces = [re.escape(_normalise(p)) for p in FORMAT_FIELD.split(text) if p.strip()]
        pattern = re.compile(".*?".join(pieces))
        if not any(pattern.search(h) for h in haystack):
            problems.append(f"{origin}: SQL text in no checked statement: {_normalise(text)[:80]!r}")
    if modules is None:
        for function in sql_functions():
            if function not in DRIVERS:
                problems.append(
                    f"{function}() builds SQL inline: move it to a named constant, or add a driver "
                    "to tests/support/sql_catalog.py DRIVERS that produces every variant"
                )
    return problems
