"""The run's log lines, the machine it ran on, and the Markdown report."""

from __future__ import annotations

import os
import platform
import time
from typing import Any

from bench import cpu
from bench.cron import UNBOUNDED_EXPIRE
from bench.settings import OVERHEAD_NOTE, scale_label
from bench.targets import largest


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def machine() -> dict[str, Any]:
    return {
        "arch": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def ratio_text(ratio: float | None) -> str:
    """ours / theirs: `0.35`, or `1/1,960` when ours is a small fraction."""
    if ratio is None:
        return "–"
    return f"1/{1 / ratio:,.0f}" if 0 < ratio < 0.1 else f"{ratio:.2f}"


def render_markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    out = [
        f"Measured {m['date']} on {m['arch']}, {m['cores']} cores ({m['system']}), local runtime "
        f"(Pyodide 314 + Miniflare D1), one `make bench` run of {report['seconds']:.0f} s.",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    out += [f"| {t['target']} | {t['measured']} | {'✓' if t['met'] else '✗'} |" for t in report["targets"]]
    scales = report["scales"]
    labels = " · ".join(scale_label(s["scale"]) for s in scales)
    out += [
        "",
        f"Routes: D1 queries, rows read, written and returned per request (median; max in brackets when "
        f"it differs), latency p50 (p95) in ms; at {labels} rows "
        f"({' · '.join(str(s['samples']) for s in scales)} calls per route).",
        "",
        f"| route | queries | rows read {labels} | rows returned | rows written | p50 (p95) ms {labels} |",
        "|---|---|---|---|---|---|",
    ]

    def stat(r: dict[str, Any], name: str) -> str:
        v = r[name]
        return f"{v['median']}" + (f" [{v['max']}]" if v["max"] != v["median"] else "")

    for route in [r["route"] for r in scales[-1]["routes"]]:
        per = [next((r for r in s["routes"] if r["route"] == route), None) for s in scales]
        last = per[-1]
        assert last is not None
        reads = " · ".join(stat(r, "rows_read") if r else "–" for r in per)
        times = " · ".join(f"{r['p50_ms']:.0f} ({r['p95_ms']:.0f})" if r else "–" for r in per)
        out.append(
            f"| {route} | {stat(last, 'queries')} | {reads} | {stat(last, 'rows_returned')} "
            f"| {stat(last, 'rows_written')} | {times} |"
        )
    big = largest(report)
    out += [
        "",
        f"Peers, same data ({big['scale']:,} rows), rows read: ours / theirs.",
        "",
        "| seed operation | theirs: rows read → result | ours (route) | ours: rows read | ratio |",
        "|---|---|---|---|---|",
    ]
    for c in big["peers"]["comparisons"]:
        theirs = c["theirs"]
        outcome = f"{theirs.get('rows_read', 0):,} → {theirs.get('result')}"
        if "failed" in theirs:
            would = theirs.get("would_return") or {}
            size = (
                f"; it would have answered {would['n']:,} rows, {would['bytes'] / 1e6:,.0f} MB as JSON"
                if would.get("n") is not None and would.get("bytes") is not None
                else ""
            )
            outcome = f"could not complete ({theirs['failed']}, after {theirs['seconds']} s{size})"
        out.append(
            f"| {c['operation']} | {outcome} | {c['ours']['route']} "
            f"| {c['ours']['rows_read']} | {ratio_text(c['ratio_rows_read'])} |"
        )
    out += [
        "",
        "Handler overhead (median of paired route − same SQL straight to D1; p50s beside it), ms:",
        "",
        "| route | D1 calls | "
        + " | ".join(f"{scale_label(s['scale'])} route · SQL · overhead" for s in scales)
        + " |",
        "|---|---|" + "---|" * len(scales),
    ]
    for o in scales[-1]["handler_overhead"]:
        cells = []
        for s in scales:
            x = next((h for h in s["handler_overhead"] if h["route"] == o["route"]), None)
            cells.append(
                f"{x['route_p50_ms']:.1f} · {x['direct_sql_p50_ms']:.1f} · **{x['overhead_p50_ms']:.1f}**"
                if x
                else "–"
            )
        out.append(f"| {o['route']} | {o['d1_calls']} | " + " | ".join(cells) + " |")
    b = big["baselines"]
    out += [
        "",
        f"Baselines: Node HTTP round trip {b['node_http_rtt_p50_ms']} ms; the SQL endpoint with `SELECT 1` "
        f"{b['sql_endpoint_noop_p50_ms']} ms, so the endpoint's own cost (bridge + D1 call) is "
        f"{b['sql_endpoint_overhead_p50_ms']} ms. {OVERHEAD_NOTE}",
    ]
    out += [
        "",
        "Cron (maintenance runs until nothing is due; `POST /api/maintenance/runs`, the cron's code):",
        "",
        "| dataset | rows changed | runs | rows/s | rows read per row changed "
        "| next run: queries, rows read (rows that fell due meanwhile) |",
        "|---|---|---|---|---|---|",
    ]
    crons = [
        (f"{s['scale']:,} mixed ({s['seeded']['veo_expired']:,} expired VEO)", s["cron"]) for s in scales
    ]
    if report.get("stress"):
        crons.append((f"{report['stress']['rows']:,} expired VEO jobs", report["stress"]["cron"]))
    for name, c in crons:
        out.append(
            f"| {name} | {c['rows_changed']:,} | {c['runs_needed']} | {c['rows_per_second']:,} | "
            f"{c['rows_read_per_row_changed']} | {c['idle_run']['queries']}, {c['idle_run']['rows_read']}"
            + (f" ({c['idle_run']['rows_changed']:,})" if c["idle_run"].get("rows_changed") else "")
            + " |"
        )
    wipes = [
        (s["scale"], r) for s in scales for r in s["routes"] if r["route"].startswith("DELETE /api/veo/jobs?")
    ]
    if wipes:
        out += [
            "",
            "`DELETE /api/veo/jobs?confirm=all` after the cron, called until `more` is false "
            "(calls; rows read per call, median and max; ms per call, p95): "
            + "; ".join(
                f"{scale_label(scale)} {r['n']} ({r['rows_read']['median']:,}, {r['rows_read']['max']:,}; "
                f"{r['p95_ms']:,.0f} ms)"
                for scale, r in wipes
            )
            + ".",
        ]
    if report.get("stress"):
        u = report["stress"]["unbounded_delete"]
        out += [
            "",
            f"One unbounded `{UNBOUNDED_EXPIRE}` on a copy of the same {u['rows_deleted']:,} expired jobs: "
            f"{u['rows_read']:,} rows read ({u['rows_read'] / max(1, u['rows_deleted']):.2f} per row), "
            f"{u['rows_written']:,} written, {u['ms'] / 1000:.1f} s in one statement.",
        ]
    st, comp = report["startup"], report["compression"]
    med = st["median"]
    out += [
        "",
        f"Start-up (median of {st['cold_starts']} cold starts, ms): "
        f"Pyodide load {med['pyodide_load_ms']:.0f}, "
        f"`workers` SDK import {med['sdk_import_ms']:.0f}, app import {med['app_import_ms']:.0f} "
        f"(min {st['min']['app_import_ms']}), ready {med['startup_ms']:.0f}; first request "
        f"{med['first_request_ms']:.0f}, second {med['second_request_ms']:.0f}. The app's import alone "
        f"(no Miniflare booting alongside, {st['import_alone']['runs']} warm runs): median "
        f"{st['import_alone']['app_import_ms']:.0f} ms; slowest modules (self ms): "
        + ", ".join(
            f"{n.removeprefix('edgejobs.')} {ms:.0f}"
            for n, ms in st["import_alone"]["slowest_modules_self_ms"]
        )
        + ". Production imports at deploy and restores a memory snapshot, so cold starts there do "
        f"not pay this. VEO payload: a "
        f"{comp['scenes']}-scene job, {comp['raw_bytes']:,} B of JSON stored as {comp['stored_bytes']:,} B "
        f"(ratio {comp['ratio']}, gzip level {comp['gzip_level']}).",
    ]
    return "\n".join(out) + "\n" + cpu.render(report)
