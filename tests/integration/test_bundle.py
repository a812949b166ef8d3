"""The deployable bundle holds everything the app imports: `wrangler deploy --dry-run`
lists and writes every module it would upload, and nothing else here can check that."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.runtime import ROOT, node_tool


def imported_modules(entry: Path, src: Path) -> set[str]:
    """Every first-party module reachable by imports from `entry` (as 'pkg/mod.py' paths)."""
    seen: set[str] = set()
    pending = [entry]
    while pending:
        path = pending.pop()
        relative = path.relative_to(src).as_posix()
        if relative in seen:
            continue
        seen.add(relative)
        package = path.parent.relative_to(src).parts
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = list(package[: len(package) - node.level + 1]) if node.level else []
                module = [*base, *(node.module or "").split(".")] if node.module else base
                names = [".".join(p for p in module if p)]
                names += [".".join([*module, alias.name]) for alias in node.names]
            for name in names:
                for candidate in (
                    src / (name.replace(".", "/") + ".py"),
                    src / name.replace(".", "/") / "__init__.py",
                ):
                    if candidate.is_file():
                        pending.append(candidate)
    return seen


def test_dry_run_bundle_contains_every_imported_module(tmp_path: Path) -> None:
    outdir = tmp_path / "dist"
    result = node_tool("wrangler", "deploy", "--dry-run", "--outdir", str(outdir), timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    src = ROOT / "src"
    needed = imported_modules(src / "entry.py", src)
    assert "edgejobs/main.py" in needed and "edgejobs/core/db.py" in needed
    bundled = {p.relative_to(outdir).as_posix() for p in outdir.rglob("*.py")}
    assert needed <= bundled, f"missing from the deploy bundle: {sorted(needed - bundled)}"
    # The bundle carries Python sources only: no caches or tests.
    assert not any("__pycache__" in p or p.startswith("tests/") for p in bundled)
