-- Job runs (executions of any scheduled job, recorded by the job itself) and report
-- snapshots (one per (report_type, scheduled_date), content gzip-compressed).

CREATE TABLE job_runs (
  id               TEXT PRIMARY KEY,                   -- UUIDv7
  job_type         TEXT NOT NULL,                      -- 1-64 of [a-z0-9_.-]
  scheduled_date   TEXT NOT NULL,                      -- YYYY-MM-DD
  status           TEXT NOT NULL CHECK (status = 'running' OR status = 'succeeded' OR status = 'failed'),
  trigger_source   TEXT,
  started_at       INTEGER NOT NULL,                   -- epoch ms
  finished_at      INTEGER,
  duration_ms      INTEGER,
  items_processed  INTEGER,
  error            TEXT,
  metadata         TEXT,                               -- JSON object
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
-- History, newest date first: one ordered range per filter (keyset on (scheduled_date, id)).
CREATE INDEX job_runs_by_date ON job_runs (scheduled_date, id);
CREATE INDEX job_runs_by_type ON job_runs (job_type, scheduled_date, id);
CREATE INDEX job_runs_by_status ON job_runs (status, scheduled_date, id);

CREATE TABLE reports (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the ETag names id and revision
  report_type      TEXT NOT NULL,
  scheduled_date   TEXT NOT NULL,                      -- YYYY-MM-DD
  metadata         TEXT,                               -- JSON object
  trigger_source   TEXT,
  revision         INTEGER NOT NULL,
  size_bytes       INTEGER NOT NULL,                   -- canonical JSON of content
  stored_bytes     INTEGER NOT NULL,                   -- gzip of it
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  content          BLOB NOT NULL,                      -- last: lists never touch its pages
  UNIQUE (report_type, scheduled_date)
);
-- Lists of every type, newest date first, and retention (oldest dates first).
CREATE INDEX reports_by_date ON reports (scheduled_date, report_type);
