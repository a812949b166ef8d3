-- Providers: provider-backed videos kept in sync with their provider. One row per video whose
-- model has a provider, written in the batch that creates the video, deleted in the batch
-- that finishes it. Its own table, so the videos table is not rebuilt for it.
--   provider_job_id NULL: not submitted yet (or the submission's answer was lost): due at the
--     time the cron submits it again (once: `submits` counts the attempts started).
--   provider_job_id set: the provider's job, asked about when `next_check_at` comes (and on a
--     GET of the video when `checked_at` is older than VIDEO_REFRESH_SECONDS).
CREATE TABLE video_provider_checks (
  video_id        TEXT    NOT NULL PRIMARY KEY,
  provider        TEXT    NOT NULL,
  provider_job_id TEXT,
  next_check_at   INTEGER NOT NULL,
  wait_ms         INTEGER NOT NULL,      -- the wait before the next check; doubles while unchanged
  last_status     TEXT,                  -- the provider's status at the last answer
  checked_at      INTEGER,               -- when the provider was last asked (answered or not)
  submits         INTEGER NOT NULL DEFAULT 0 CHECK (submits >= 0)
) WITHOUT ROWID;
CREATE INDEX video_provider_checks_due ON video_provider_checks (next_check_at);
