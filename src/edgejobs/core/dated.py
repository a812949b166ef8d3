"""Lists of rows keyed by a calendar date, newest first: the `since`/`until` filters (inclusive
`YYYY-MM-DD` dates), their SQL, and the keyset page over (date, tie-breaker)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .context import RequestContext
from .dates import check_date
from .db import named
from .errors import ValidationError
from .http import HttpResponse
from .pagination import page_request, page_rows, rendered_page_response


def date_range(query: Mapping[str, str]) -> dict[str, str]:
    """The query's `since` and `until`, each a real date, `since` not after `until`."""
    values = {name: check_date(query[name], name) for name in ("since", "until") if name in query}
    if len(values) == 2 and values["since"] > values["until"]:
        raise ValidationError("'since' is after 'until'.", field="since")
    return values


def newest_first_sql(
    table: str,
    item: str,
    date: str,
    tie: str,
    conditions: Sequence[str],
    *,
    since: bool,
    until: bool,
    after: bool,
) -> str:
    """The statement listing `date`, `tie` and `item` (a SQL expression) of `table`, newest first, keyset on
    (`date`, `tie`). `conditions` are the caller's filters. Named parameters: those of the
    conditions, since, until, after_date, after_key, limit."""
    where = list(conditions)
    if since:
        where.append(f"{date} >= :since")
    if until:
        where.append(f"{date} <= :until")
    if after:
        where.append(f"({date}, {tie}) < (:after_date, :after_key)")
    condition = " AND ".join(where) or "1"
    return (
        f"SELECT {date}, {tie}, {item} AS item FROM {table}"
        f" WHERE {condition} ORDER BY {date} DESC, {tie} DESC LIMIT :limit"
    )


async def newest_first_page(
    ctx: RequestContext,
    scope: str,
    date: str,
    tie: str,
    values: dict[str, Any],
    sql_of: Callable[[bool], str],
) -> HttpResponse:
    """One page: `values` holds the filters' parameters; `sql_of(after)` is the statement."""
    key = ctx.cursor_key
    page = page_request(ctx.request.query, scope, key, (str, str))
    if page.after:
        values["after_date"], values["after_key"] = page.after
    values["limit"] = page.limit + 1
    rows = (await ctx.db.run(named(sql_of(bool(page.after)), values))).rows
    items, next_cursor = page_rows(rows, page, scope, key, lambda row: [row[date], row[tie]])
    return rendered_page_response(items, next_cursor)
