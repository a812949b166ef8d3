-- VEO job cache (SPEC §1): searchable metadata in veo_jobs, the whole job object
-- gzip-compressed in veo_job_data. Times are INTEGER epoch milliseconds.

-- WITHOUT ROWID: the client's job_id is the key, so the row lives in the primary-key
-- b-tree itself (a get reads one row, not an autoindex entry plus a table row), and every
-- secondary index below ends in job_id, which is the keyset tiebreak.
CREATE TABLE veo_jobs (
  job_id           TEXT    NOT NULL PRIMARY KEY,
  status           TEXT    NOT NULL,
  video_id         TEXT,
  video_url        TEXT,
  scene_count      INTEGER CHECK (scene_count >= 0),
  characters_found INTEGER CHECK (characters_found >= 0),
  mode             TEXT,
  voice            TEXT,
  has_script       INTEGER NOT NULL CHECK (has_script IN (0, 1)),
  error            TEXT,
  etag             TEXT    NOT NULL,                -- quoted strong hash of the stored JSON
  size_bytes       INTEGER NOT NULL,                -- canonical JSON, uncompressed
  stored_bytes     INTEGER NOT NULL,                -- gzip BLOB in veo_job_data
  revision         INTEGER NOT NULL DEFAULT 1,      -- 1 on create: tells 201 from 200 race-free
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL                 -- updated_at + TTL of the status
) WITHOUT ROWID;

-- Also WITHOUT ROWID: with a rowid the TEXT key needs its own autoindex, which D1 bills as an
-- extra row written on every create and an extra row read on every update (measured). The
-- key doubles as the lookup the ON DELETE CASCADE needs.
CREATE TABLE veo_job_data (
  job_id TEXT NOT NULL PRIMARY KEY REFERENCES veo_jobs (job_id) ON DELETE CASCADE,
  data   BLOB NOT NULL                             -- gzip of the canonical JSON
) WITHOUT ROWID;

-- Lists, newest first with job_id as tiebreak: each walks one of these in keyset order and
-- skips expired rows (the cron deletes them, so few are ever interleaved).
CREATE INDEX veo_jobs_by_updated ON veo_jobs (updated_at, job_id);
CREATE INDEX veo_jobs_by_status ON veo_jobs (status, updated_at, job_id);
-- Partial: jobs without a video are never listed by video.
CREATE INDEX veo_jobs_by_video ON veo_jobs (video_id, updated_at, job_id) WHERE video_id IS NOT NULL;
-- Expiry cleanup: the cron deletes the oldest expired rows in chunks.
CREATE INDEX veo_jobs_by_expiry ON veo_jobs (expires_at);
