-- Providers: the webhook ids already received (Replicate's Standard Webhooks `webhook-id`, the
-- same on every retry of one delivery), so a replayed or retried delivery is acknowledged and
-- ignored. Kept a day (a delivery older than 5 minutes is refused by its timestamp anyway);
-- the cron deletes expired ones, oldest first, through the expiry index.
CREATE TABLE provider_webhook_ids (
  provider    TEXT    NOT NULL,
  webhook_id  TEXT    NOT NULL,
  received_at INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  PRIMARY KEY (provider, webhook_id)
);
CREATE INDEX provider_webhook_ids_by_expiry ON provider_webhook_ids (expires_at);
