-- Outbound webhooks: subscriptions and their deliveries. The outbox is `job_events` itself:
-- each subscription keeps a cursor (the last event id it has turned into deliveries), and the
-- sender makes the deliveries of the events past it in the same batch that advances it
-- (docs/webhooks.md says why).
CREATE TABLE webhook_subscriptions (
  id              TEXT    NOT NULL PRIMARY KEY,      -- UUIDv7
  url             TEXT    NOT NULL,
  events          TEXT    NOT NULL,                  -- JSON array of names and patterns
  description     TEXT,
  secret          TEXT    NOT NULL,                  -- whsec_<base64 of 32 bytes>
  disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  disabled_reason TEXT,
  event_cursor    INTEGER NOT NULL,                  -- job_events.id made into deliveries up to here
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
-- Cursors past an event, for the trigger below (one index probe per event deleted).
CREATE INDEX webhook_subscriptions_by_cursor ON webhook_subscriptions (event_cursor);
-- The live ones, laggards first (the outbox and the sender walk them).
CREATE INDEX webhook_subscriptions_live ON webhook_subscriptions (disabled, event_cursor);

CREATE TABLE webhook_deliveries (
  id               TEXT    NOT NULL PRIMARY KEY,     -- UUIDv7; the `webhook-id` of every attempt
  subscription_id  TEXT    NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  event_id         INTEGER NOT NULL,                 -- the job_events row it announces
  event_type       TEXT    NOT NULL,                 -- export_job.completed, ...
  body             TEXT    NOT NULL,                 -- the JSON sent, fixed when made
  -- An OR chain, not IN (…): D1 bills an IN list of three as a row read on every write.
  status           TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (status = 'pending' OR status = 'delivered' OR status = 'failed'),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER,                          -- while pending: due time, or the end of a send's lease
  last_attempt_at  INTEGER,
  last_status_code INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
-- A subscription's deliveries, newest first (all, or one status).
CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id, id);
CREATE INDEX webhook_deliveries_by_subscription_status ON webhook_deliveries (subscription_id, status, id);
-- Due deliveries of one subscription, oldest due first: the sender takes a few per subscription.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (subscription_id, next_attempt_at)
  WHERE status = 'pending';
-- Old finished deliveries, for the retention cleanup.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (updated_at) WHERE status != 'pending';

-- `job_events.id` is a rowid: when the newest events are deleted (a purge of old finished jobs
-- on an otherwise idle service), SQLite hands their ids out again. A cursor already past such an
-- id would skip the new event. This trigger runs when an event a cursor has passed is deleted
-- and it was the newest: any cursor past the newest remaining event moves back to it, so the
-- ids handed out next are past every cursor. It costs the purge, never an event write: with no
-- subscription past the deleted id it is one empty index probe per deleted event.
CREATE TRIGGER webhook_cursors_behind_deleted_events AFTER DELETE ON job_events
WHEN EXISTS (SELECT 1 FROM webhook_subscriptions WHERE event_cursor >= OLD.id)
 AND OLD.id > (SELECT coalesce(max(id), 0) FROM job_events)
BEGIN
  UPDATE webhook_subscriptions SET event_cursor = (SELECT coalesce(max(id), 0) FROM job_events)
  WHERE event_cursor > (SELECT coalesce(max(id), 0) FROM job_events);
END;
