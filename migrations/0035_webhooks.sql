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
-- The highest cursor, for the trigger below (one index probe per event inserted).
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
-- id would skip the new event. This trigger runs inside the batch that inserts the event and
-- moves any cursor at or past the new id back to just before it; the ids from there on were all
-- deleted, so every event the sender then reads is new. No subscription: one index probe.
CREATE TRIGGER webhook_cursors_before_reused_event_id AFTER INSERT ON job_events
WHEN NEW.id <= (SELECT max(event_cursor) FROM webhook_subscriptions)
BEGIN
  UPDATE webhook_subscriptions SET event_cursor = NEW.id - 1 WHERE event_cursor >= NEW.id;
END;
