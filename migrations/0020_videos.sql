-- Videos, their owners' monthly usage and quotas, and generations (groups of videos paid for
-- together). Times are INTEGER epoch milliseconds; months are UTC calendar months 'YYYY-MM'.
-- CHECKs are written as OR chains, never `IN (…)` lists: D1 bills an IN-list CHECK one row
-- read each time it is evaluated (see 0007).

-- A rowid table: `prompt` (≤ 32,000 characters) and `input` (≤ 64 KiB) make rows large.
CREATE TABLE videos (
  id              TEXT    NOT NULL PRIMARY KEY,        -- UUIDv7 of created_at: id order = creation order
  user_id         TEXT,                                -- owner's `sub`; NULL: the service's, no owner
  generation_id   TEXT,
  model           TEXT    NOT NULL,
  status          TEXT    NOT NULL CHECK (status = 'queued' OR status = 'in_progress'
                                          OR status = 'completed' OR status = 'failed'
                                          OR status = 'cancelled'),
  progress        INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  prompt          TEXT    NOT NULL,
  seconds         INTEGER NOT NULL CHECK (seconds >= 1),
  size            TEXT,
  quality         TEXT,
  input           TEXT    NOT NULL DEFAULT '{}',       -- JSON object handed to the provider
  metadata        TEXT    NOT NULL DEFAULT '{}',       -- JSON object, the client's
  remixed_from    TEXT,
  -- The provider seam: which service does the work and its id for this video (the "file id"
  -- of a browser's generation history). Set at create or by PATCH; the provider work fills them.
  provider        TEXT,
  provider_job_id TEXT,
  file_url        TEXT,
  thumbnail_url   TEXT,
  error           TEXT,                                -- JSON {"code", "message"} or NULL
  cost_cents      INTEGER NOT NULL CHECK (cost_cents >= 0),
  period          TEXT    NOT NULL,                    -- the month it was created (and charged) in
  -- 1: it took a unit (and its cost) from its owner's usage row at create; imported videos
  -- were paid for elsewhere (0). 1 in `refunded`: it ended failed or cancelled without a
  -- file, and gave both back in the batch of that change (only while that row still counts
  -- the video's month).
  charged         INTEGER NOT NULL CHECK (charged = 0 OR charged = 1),
  refunded        INTEGER NOT NULL DEFAULT 0 CHECK (refunded = 0 OR (refunded = 1 AND charged = 1)),
  archived        INTEGER NOT NULL DEFAULT 0 CHECK (archived = 0 OR archived = 1),
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  started_at      INTEGER,
  completed_at    INTEGER,                             -- set when it became completed, failed or cancelled
  expires_at      INTEGER,                             -- when file_url stops working
  archived_at     INTEGER,
  deleted_at      INTEGER,                             -- soft delete: gone from every route
  -- The state machine's bookkeeping (core/states.py, core/events.py): the status a change left
  -- and its random token, so the statements after it in the batch find exactly the rows it
  -- changed (and none after a lost race).
  previous_status TEXT,
  transition_id   TEXT    NOT NULL
);

-- Lists, newest first (id DESC), deleted videos never in them: one keyset range per owner and
-- shelf (archived 0/1), or per owner, shelf and status (one branch per status asked for).
CREATE INDEX videos_by_user ON videos (user_id, archived, id) WHERE deleted_at IS NULL;
CREATE INDEX videos_by_user_status ON videos (user_id, archived, status, id) WHERE deleted_at IS NULL;
-- The service's list of every video.
CREATE INDEX videos_by_shelf ON videos (archived, id) WHERE deleted_at IS NULL;
CREATE INDEX videos_by_shelf_status ON videos (archived, status, id) WHERE deleted_at IS NULL;
-- A generation's videos (at most 10), and the file lookup by the provider's id.
CREATE INDEX videos_by_generation ON videos (generation_id, id) WHERE generation_id IS NOT NULL;
CREATE INDEX videos_by_file ON videos (provider_job_id, id) WHERE provider_job_id IS NOT NULL;

-- One wide row per owner: this month's usage against the quota, and the counts the stats
-- read (never a COUNT(*) over videos). `owner` is a user id (1–128 visible ASCII: never
-- holds a space), ' none' for the videos the service made without an owner, ' all' for every
-- video. Changed in the batch of every change it counts.
CREATE TABLE video_usage (
  owner        TEXT    NOT NULL PRIMARY KEY,
  period       TEXT    NOT NULL,                       -- the month videos_used and cents_used count
  videos_used  INTEGER NOT NULL DEFAULT 0 CHECK (videos_used >= 0),   -- charged, net of refunds
  cents_used   INTEGER NOT NULL DEFAULT 0 CHECK (cents_used >= 0),
  videos_limit INTEGER CHECK (videos_limit >= 0),      -- override of QUOTA_VIDEOS_PER_MONTH
  cents_limit  INTEGER CHECK (cents_limit >= 0),       -- override of QUOTA_CENTS_PER_MONTH (0: none)
  charge_id    TEXT,                                   -- token of the last charge (the create
                                                       -- batch's INSERTs depend on it)
  -- Not-deleted videos by status, and how many of them are archived.
  queued       INTEGER NOT NULL DEFAULT 0,
  in_progress  INTEGER NOT NULL DEFAULT 0,
  completed    INTEGER NOT NULL DEFAULT 0,
  failed       INTEGER NOT NULL DEFAULT 0,
  cancelled    INTEGER NOT NULL DEFAULT 0,
  archived     INTEGER NOT NULL DEFAULT 0,
  updated_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- A generation: `video_count` videos paid for together. Its status and progress follow from
-- its videos' counts, kept here in the batch of each video change, so lists filter on them.
CREATE TABLE generations (
  generation_id TEXT    NOT NULL PRIMARY KEY,          -- 1–255 visible ASCII (a Checkout Session id, …)
  user_id       TEXT,
  model         TEXT    NOT NULL,
  prompt        TEXT    NOT NULL,
  video_count   INTEGER NOT NULL CHECK (video_count BETWEEN 1 AND 10),
  request_hash  TEXT,                                  -- same body again → 200, another → 409
  queued        INTEGER NOT NULL DEFAULT 0,
  in_progress   INTEGER NOT NULL DEFAULT 0,
  completed     INTEGER NOT NULL DEFAULT 0,
  failed        INTEGER NOT NULL DEFAULT 0,
  cancelled     INTEGER NOT NULL DEFAULT 0,
  status        TEXT GENERATED ALWAYS AS (
    CASE
      WHEN queued = video_count THEN 'pending'
      WHEN completed = video_count THEN 'completed'
      WHEN completed + failed + cancelled = video_count
        THEN CASE WHEN completed > 0 THEN 'partial' ELSE 'failed' END
      ELSE 'processing'
    END) STORED,
  progress      INTEGER GENERATED ALWAYS AS (100 * completed / video_count) STORED,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  import_id     TEXT                                   -- token of the import batch that made it
) WITHOUT ROWID;

-- Lists, newest first with generation_id as tiebreak.
CREATE INDEX generations_by_user ON generations (user_id, created_at, generation_id);
CREATE INDEX generations_by_user_status ON generations (user_id, status, created_at, generation_id);
CREATE INDEX generations_by_created ON generations (created_at, generation_id);
CREATE INDEX generations_by_status ON generations (status, created_at, generation_id);
