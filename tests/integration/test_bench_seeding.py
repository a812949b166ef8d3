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
from bench.rows_videos import BENCH_VIDEO_USER
from tests.support.consistency_videos import check_videos
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


def test_seeded_videos_are_what_the_app_would_have_left(tmp_path: Path) -> None:
    """Videos, their events, generations and the usage rows they add up to pass the consistency
    check of videos (the bench's figures are taken on data the app could have made)."""
    apply_migrations(tmp_path / "template")
    data = seeding.copy_persist(tmp_path / "template", tmp_path / "data")
    path = seeding.d1_file(data)
    info = seeding.seed(path, veo=0, export=0, videos=1_000, now=NOW, peers=False)
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row

    def sql(query: str, *params: object) -> list[dict[str, object]]:
        return [dict(row) for row in conn.execute(query, params)]

    assert info.videos == sql("SELECT count(*) AS n FROM videos")[0]["n"] == 1_000
    assert info.generations == sql("SELECT count(*) AS n FROM generations")[0]["n"] > 10
    assert len(info.user_video_ids) > 150 and len(info.user_generation_ids) > 2
    statuses = {row["status"] for row in sql("SELECT DISTINCT status FROM generations")}
    assert {"completed", "partial"} <= statuses
    assert check_videos(sql) == []
    bench_user = sql("SELECT * FROM video_usage WHERE owner = ?", BENCH_VIDEO_USER)[0]
    assert bench_user["videos_limit"] == 10_000_000
