"""What one job costs in storage: bytes per job of each kind, table and indexes, measured with
SQLite's `dbstat` on a migrated D1 file filled by bench/seeding.py (the bench's mix), then with
realistic VEO payloads (`tests/support/veo_payload.py`) of a few sizes. docs/scaling.md turns
these figures into when one database fills.

Run: `PYTHONPATH=src .venv/bin/python -m bench.footprint [ROWS]` (default 100,000; prints JSON).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import seeding
from edgejobs.core import codec
from tests.support.runtime import apply_migrations
from tests.support.veo_payload import realistic_veo_job

# Tables and their indexes, by what one job puts in them.
VEO_OBJECTS = ("veo_jobs", "veo_job_data")
EXPORT_OBJECTS = ("export_jobs", "job_events")
SCENE_SIZES = (20, 50, 200)
REALISTIC_JOBS = 200  # per size


def _sizes(conn: sqlite3.Connection) -> dict[str, int]:
    """Bytes on disk per table or index (pages × page size, free space included)."""
    rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    return {name: int(size) for name, size in rows}


def _owner(conn: sqlite3.Connection) -> dict[str, str]:
    """Each table's and index's table (autoindexes included)."""
    return dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')"))


def _per_table(conn: sqlite3.Connection, tables: tuple[str, ...]) -> dict[str, dict[str, int]]:
    owner, sizes = _owner(conn), _sizes(conn)
    out: dict[str, dict[str, int]] = {}
    for name, size in sizes.items():
        table = owner.get(name)
        if table in tables:
            part = "table" if name == table else "indexes"
            out.setdefault(table, {"table": 0, "indexes": 0})[part] += size
    return out


def mixed(rows: int) -> dict[str, Any]:
    """The bench's mix (`rows` VEO jobs with small payloads, `rows` export jobs with events)."""
    with tempfile.TemporaryDirectory(prefix="edgejobs-footprint-") as tmp:
        template = Path(tmp) / "template"
        apply_migrations(template)
        data = seeding.copy_persist(template, Path(tmp) / "data")
        path = seeding.d1_file(data)
        seeded = seeding.seed(path, veo=rows, export=rows, now=int(time.time() * 1000), peers=False)
        conn = sqlite3.connect(path)
        veo = _per_table(conn, VEO_OBJECTS)
        export = _per_table(conn, EXPORT_OBJECTS)
        payload = conn.execute("SELECT AVG(stored_bytes), AVG(size_bytes) FROM veo_jobs").fetchone()
        conn.close()
        file_bytes = path.stat().st_size
    per = {name: {k: round(v / rows) for k, v in parts.items()} for name, parts in {**veo, **export}.items()}
    return {
        "rows": rows,
        "events_per_export_job": round(seeded.events / rows, 2),
        "bytes_per_job": per,
        "veo_bytes_per_job": sum(sum(per[t].values()) for t in VEO_OBJECTS),
        "export_bytes_per_job": sum(sum(per[t].values()) for t in EXPORT_OBJECTS),
        "veo_payload_avg": {"stored_bytes": round(payload[0]), "size_bytes": round(payload[1])},
        "file_bytes": file_bytes,
    }


def realistic_payloads(jobs: int = REALISTIC_JOBS) -> list[dict[str, Any]]:
    """`veo_job_data` bytes per job for realistic objects of 20, 50 and 200 scenes."""
    out = []
    for scenes in SCENE_SIZES:
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE veo_job_data (job_id TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID")
        stored = raw = 0
        for i in range(jobs):
            job = {**realistic_veo_job(scenes=scenes, seed=i), "jobId": f"veo_{i:08d}"}
            payload = codec.encode_payload_sync(job)
            stored, raw = stored + payload.stored_bytes, raw + payload.size_bytes
            conn.execute("INSERT INTO veo_job_data VALUES (?, ?)", (job["jobId"], payload.stored))
        on_disk = sum(_sizes(conn).values())
        out.append(
            {
                "scenes": scenes,
                "json_bytes": round(raw / jobs),
                "stored_bytes": round(stored / jobs),
                "on_disk_bytes": round(on_disk / jobs),
            }
        )
    return out


def footprint(rows: int) -> dict[str, Any]:
    return {"mixed": mixed(rows), "realistic_payloads": realistic_payloads()}


if __name__ == "__main__":
    shutil.disk_usage(tempfile.gettempdir())  # fail early on a missing temp directory
    print(json.dumps(footprint(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000), indent=2))
