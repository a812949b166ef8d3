-- Fencing: every claim is its own lease. A claim writes a fresh, opaque `lease_id`; heartbeat,
-- complete and fail must carry it with `runner_id`, so a runner id that claimed the same job
-- twice (claim → cancel → retry → claim) can never act on its first attempt. The column keeps
-- the latest claim's lease after that attempt ends (a manual retry clears it).
--
-- Jobs claimed before this migration have no lease (NULL). Until they leave `processing`, their
-- runner's calls are accepted without a lease_id, by runner_id alone as before: the condition is
-- `lease_id IS :lease_id`, which matches NULL only when the call sends none. Every later claim
-- sets a lease, after which a call without it is 409 `lease_lost`.
ALTER TABLE export_jobs ADD COLUMN lease_id TEXT;
