"""Every statement of the webhooks capability, named."""

from __future__ import annotations

from ..exports.model import JOB_ITEM_EXPR

# --- subscriptions ------------------------------------------------------------------------------
# A new subscription starts at the newest event: it receives what happens from now on.
INSERT_SUBSCRIPTION_SQL = """
INSERT INTO webhook_subscriptions
  (id, url, events, description, secret, event_cursor, created_at, updated_at)
VALUES (:id, :url, :events, :description, :secret, (SELECT coalesce(max(id), 0) FROM job_events), :now, :now)
RETURNING *
"""
GET_SUBSCRIPTION_SQL = "SELECT * FROM webhook_subscriptions WHERE id = ?1"
# Keyset pages, newest first; the first page binds a bound above every id ('~').
LIST_SUBSCRIPTIONS_SQL = """
SELECT * FROM webhook_subscriptions WHERE id < ?1 ORDER BY id DESC LIMIT ?2
"""
# Only the fields sent change (`:set_*` says which). Enabling again starts at the newest event:
# what happened while it was disabled is not sent.
UPDATE_SUBSCRIPTION_SQL = """
UPDATE webhook_subscriptions SET
  url = CASE WHEN :set_url THEN :url ELSE url END,
  events = CASE WHEN :set_events THEN :events ELSE events END,
  description = CASE WHEN :set_description THEN :description ELSE description END,
  event_cursor = CASE WHEN :set_disabled AND :disabled = 0 AND disabled = 1
    THEN (SELECT coalesce(max(id), 0) FROM job_events) ELSE event_cursor END,
  disabled_reason = CASE WHEN NOT :set_disabled THEN disabled_reason
    WHEN :disabled = 0 THEN NULL
    WHEN disabled = 0 THEN 'disabled by request' ELSE disabled_reason END,
  disabled = CASE WHEN :set_disabled THEN :disabled ELSE disabled END,
  updated_at = :now
WHERE id = :id
RETURNING *
"""
DELETE_SUBSCRIPTION_SQL = "DELETE FROM webhook_subscriptions WHERE id = ?1 RETURNING id"
ANY_LIVE_SUBSCRIPTION_SQL = "SELECT 1 AS found FROM webhook_subscriptions WHERE disabled = 0 LIMIT 1"

# --- the outbox ---------------------------------------------------------------------------------
LIVE_SUBSCRIPTIONS_SQL = """
SELECT id, events, event_cursor FROM webhook_subscriptions
WHERE disabled = 0 ORDER BY event_cursor LIMIT ?1
"""
EVENTS_AFTER_SQL = """
SELECT id, job_kind, job_id, event, from_status, to_status, data, at
FROM job_events WHERE id > ?1 ORDER BY id LIMIT ?2
"""
# The resources events are about, as their GET answers them (JSON text), by job kind.
RESOURCE_ITEMS_SQL = {
    "export": f"""
SELECT id, {JOB_ITEM_EXPR} AS item FROM export_jobs WHERE id IN (SELECT value FROM json_each(?1))
""",
}
# One subscription's deliveries for the events past its cursor, and the cursor moved past them,
# in one batch. Both are conditional on the cursor still being where the sender read it: of two
# senders that read the same events, one makes the deliveries, the other nothing (and sees it:
# its cursor UPDATE returns no row).
# `:rows`: a JSON array of [id, event_id, event_type, body].
INSERT_DELIVERIES_SQL = """
INSERT INTO webhook_deliveries
  (id, subscription_id, event_id, event_type, body, next_attempt_at, created_at, updated_at)
SELECT json_extract(value, '$[0]'), :subscription_id, json_extract(value, '$[1]'),
       json_extract(value, '$[2]'), json_extract(value, '$[3]'), :now, :now, :now
FROM json_each(:rows)
WHERE EXISTS (
  SELECT 1 FROM webhook_subscriptions WHERE id = :subscription_id AND event_cursor = :from_cursor
)
"""
ADVANCE_CURSOR_SQL = """
UPDATE webhook_subscriptions SET event_cursor = :to_cursor
WHERE id = :subscription_id AND event_cursor = :from_cursor
RETURNING event_cursor
"""

# --- sending ------------------------------------------------------------------------------------
# The due deliveries of live subscriptions, at most `:per_subscription` of each (oldest due
# first) and `:limit` in all: one slow receiver cannot hold back the others. CROSS JOIN keeps
# the subscriptions outside (a handful, by index) and each one's due range inside; no sort.
DUE_DELIVERIES_SQL = """
SELECT d.id, d.subscription_id, d.body, d.attempts, d.event_type, s.url, s.secret
FROM webhook_subscriptions AS s INDEXED BY webhook_subscriptions_live
CROSS JOIN webhook_deliveries AS d
WHERE s.disabled = 0 AND d.id IN (
  SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_due
  WHERE subscription_id = s.id AND status = 'pending' AND next_attempt_at <= :now
  ORDER BY next_attempt_at LIMIT :per_subscription
)
LIMIT :limit
"""
# Taking them for the length of one send (a lease): a concurrent sender skips them, and if
# this Worker dies mid-send they are due again when the lease ends.
CLAIM_DELIVERIES_SQL = """
UPDATE webhook_deliveries SET next_attempt_at = :lease_until, updated_at = :now
WHERE id IN (SELECT value FROM json_each(:ids)) AND status = 'pending' AND next_attempt_at <= :now
RETURNING id
"""
# An attempt's outcome, if the delivery is still held by this send.
RECORD_ATTEMPT_SQL = """
UPDATE webhook_deliveries SET
  status = :status, attempts = attempts + 1, next_attempt_at = :next_attempt_at,
  last_attempt_at = :now, last_status_code = :status_code, last_error = :error, updated_at = :now
WHERE id = :id AND status = 'pending' AND next_attempt_at = :lease_until
"""
DISABLE_SUBSCRIPTION_SQL = """
UPDATE webhook_subscriptions SET disabled = 1, disabled_reason = :reason, updated_at = :now
WHERE id = :subscription_id AND disabled = 0
"""

# --- deliveries ---------------------------------------------------------------------------------
GET_DELIVERY_SQL = "SELECT * FROM webhook_deliveries WHERE id = ?1 AND subscription_id = ?2"
LIST_DELIVERIES_SQL = """
SELECT * FROM webhook_deliveries WHERE subscription_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3
"""
LIST_DELIVERIES_BY_STATUS_SQL = """
SELECT * FROM webhook_deliveries
WHERE subscription_id = ?1 AND status = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4
"""
RETRY_DELIVERY_SQL = """
UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = :now, updated_at = :now
WHERE id = :id AND subscription_id = :subscription_id
RETURNING *
"""
# One probe per cron run: is any subscription live, is any finished delivery past retention?
ANYTHING_TO_DO_SQL = """
SELECT
  EXISTS (SELECT 1 FROM webhook_subscriptions INDEXED BY webhook_subscriptions_live WHERE disabled = 0)
    AS live,
  EXISTS (
    SELECT 1 FROM webhook_deliveries INDEXED BY webhook_deliveries_finished
    WHERE status != 'pending' AND updated_at < ?1
  ) AS old
"""
# Finished deliveries past WEBHOOK_RETENTION_SECONDS, oldest first.
DELETE_FINISHED_SQL = """
DELETE FROM webhook_deliveries WHERE id IN (
  SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_finished
  WHERE status != 'pending' AND updated_at < ?1 ORDER BY updated_at LIMIT ?2
)
"""
