"""The bench's seeding (rows generated in a second process, inserted in batches) on a D1 file
migrated by wrangler: every row arrives, once, as the row generators made it, and the database
is left as the runtime keeps it."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from bench import seeding
from bench.rows import export_rows, veo_rows
from tests.support.runtime import apply_migrations

NOW = 1_767_225_600_000


def test_seeding_writes_every_generated_row_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seeding, "_CHUNK", 40)  # the generating process is forked: it sees this too
    apply_migrations(tmp_path / "template")
    data = seeding.copy_persist(tmp_path / "template", tmp_path / "data")
    path = seeding.d1_file(data)
    count = seeding._CHUNK + 7  # more than one batch
    info = seeding.seed(path, veo=count, export=count, now=NOW)
    conn = sqlite3.connect(path)
    veo = list(veo_rows(count, NOW))
    exports = list(export_rows(count, NOW))
    assert info.veo_jobs == info.export_jobs == count
    assert info.veo_expired == sum(row.expires_at <= NOW for row in veo)
    assert info.export_pending == sum(job.values["status"] == "pending" for job in exports)
    assert info.events == sum(len(job.events) for job in exports)
    for table in ("veo_jobs", "veo_job_data", "export_jobs", "seed000_veo_jobs", "seed001_export_jobs"):
        assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (count,)
    last = veo[-1]
    (data_blob,) = conn.execute("SELECT data FROM veo_job_data WHERE job_id = ?", (last.job_id,)).fetchone()
    assert json.loads(gzip.decompress(data_blob)) == last.job_object()
    # Export ids and transition ids are random; every other column is generated deterministically.
    columns = [
        c
        for c in exports[0].values
        if c not in ("id", "transition_id", "input_video_key", "output_video_key", "runpod_job_id")
    ]
    stored = sorted(conn.execute(f"SELECT {', '.join(columns)} FROM export_jobs").fetchall(), key=repr)
    made = sorted((tuple(job.values[c] for c in columns) for job in exports), key=repr)
    assert stored == made
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
