-- One row per maintenance run (cron tick or manual trigger).
CREATE TABLE maintenance_runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  trigger     TEXT    NOT NULL,                 -- the cron expression, or 'manual'
  started_at  INTEGER NOT NULL,                 -- epoch ms
  finished_at INTEGER,                          -- NULL while running (or if it died)
  counts      TEXT    NOT NULL DEFAULT '{}',    -- JSON: task name -> rows affected
  more        INTEGER NOT NULL DEFAULT 0 CHECK (more IN (0, 1)),  -- work left for the next run
  error       TEXT
);
