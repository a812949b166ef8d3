-- Export job queue (SPEC §2), the shared job event log, and idempotency keys.
-- Times are INTEGER epoch milliseconds. Ids are UUIDv7 made in Python at request time: their
-- first 48 bits are created_at, so `ORDER BY id` is creation order and is the keyset order.

-- A rowid table, not WITHOUT ROWID: `params` may hold up to 64 KiB, and large rows belong in a
-- rowid table (WITHOUT ROWID keeps whole rows inside the primary-key b-tree).
CREATE TABLE export_jobs (
  id               TEXT    NOT NULL PRIMARY KEY,
  project_id       INTEGER NOT NULL CHECK (project_id > 0),
  type             TEXT    NOT NULL CHECK (type IN ('framing', 'overlay', 'annotate')),
  status           TEXT    NOT NULL
                   CHECK (status IN ('pending', 'processing', 'complete', 'error', 'cancelled')),
  progress         INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  input_video_key  TEXT    NOT NULL,
  output_video_key TEXT,
  params           TEXT    NOT NULL DEFAULT '{}',      -- JSON object, ≤ 64 KiB
  error            TEXT,                               -- last failure, 'lease_expired', ...
  retry_count      INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
  max_retries      INTEGER NOT NULL DEFAULT 3 CHECK (max_retries BETWEEN 0 AND 10),
  runner_id        TEXT,                               -- who holds (or last held) the job
  runpod_job_id    TEXT,
  lease_seconds    INTEGER CHECK (lease_seconds BETWEEN 10 AND 86400),  -- of the current claim
  lease_expires_at INTEGER,                            -- set only while processing
  available_at     INTEGER NOT NULL,                   -- claimable from (retry backoff)
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,                            -- latest claim
  completed_at     INTEGER,                            -- reached complete, error or cancelled
  updated_at       INTEGER NOT NULL,
  -- Bookkeeping for the compare-and-set batches (never sent to clients): every state change
  -- writes a fresh random `transition_id` and the status it left, so the job_events INSERT that
  -- follows in the same batch can select exactly the rows this UPDATE changed (a lost race
  -- leaves the old token, so the INSERT selects nothing). See transitions.py.
  previous_status  TEXT,
  transition_id    TEXT    NOT NULL
);

-- Lists, newest first. A status filter is a list of statuses: the query runs one keyset
-- branch per status, each an ordered range of one of these indexes (see export_jobs.py).
CREATE INDEX export_jobs_by_project ON export_jobs (project_id, status, id);
CREATE INDEX export_jobs_by_status ON export_jobs (status, id);
-- Claiming: the oldest claimable pending job is the first entry of this index at or before now.
CREATE INDEX export_jobs_claimable ON export_jobs (status, available_at, created_at);
-- Runner lookups (what does runner X hold?); the claim's event INSERT finds its row by it.
CREATE INDEX export_jobs_by_runner ON export_jobs (runner_id, status) WHERE runner_id IS NOT NULL;
-- Lease recovery: processing jobs, oldest lease first.
CREATE INDEX export_jobs_by_lease ON export_jobs (status, lease_expires_at);
-- Retention: finished jobs, oldest first.
CREATE INDEX export_jobs_by_completion ON export_jobs (status, completed_at);

-- One history for every job kind. No foreign key: one column cannot reference several tables,
-- and a per-kind FK column would need its own index for ON DELETE CASCADE to be cheap. Events
-- are written only by INSERT … SELECT from their job's row (so never for a missing job) and
-- deleted with their jobs in the same batch by the retention task.
CREATE TABLE job_events (
  id          INTEGER PRIMARY KEY,                  -- rowid: append order, the keyset order
  job_kind    TEXT    NOT NULL CHECK (length(job_kind) BETWEEN 1 AND 32),  -- 'export', ...
  job_id      TEXT    NOT NULL,
  event       TEXT    NOT NULL,                     -- 'created', 'claimed', 'failed', ...
  from_status TEXT,                                 -- NULL for 'created'
  to_status   TEXT    NOT NULL,
  data        TEXT,                                 -- JSON object or NULL
  at          INTEGER NOT NULL
);
CREATE INDEX job_events_by_job ON job_events (job_kind, job_id, id);

-- `Idempotency-Key` of a create: the same key with the same request answers with the same
-- job. The PRIMARY KEY makes two concurrent creates with one key race-free. No expiry index:
-- keys are appended in expiry order (one TTL), so the cleanup looks at the oldest rowids only.
CREATE TABLE idempotency_keys (
  idempotency_key TEXT    NOT NULL PRIMARY KEY,
  request_hash    TEXT    NOT NULL,                 -- sha256 of the route and normalised body
  job_id          TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL
);
