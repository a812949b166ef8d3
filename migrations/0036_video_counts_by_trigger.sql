-- The counts a video's later changes move (the owner's and every video's usage rows, the
-- generation's), kept by triggers on the change itself instead of statements after it in the
-- batch: a trigger has the video as it was (OLD) and as it is (NEW), so nothing reads the video
-- again (a change of status read 12 rows, now 5). The charge at create stays a statement
-- (the INSERTs depend on its outcome); see docs/videos.md.
--
-- Each usage row is updated by its own statement (`owner = …`): `owner IN (a, b)` reads an
-- ephemeral list besides the two rows.

-- A change of status: −1 old status, +1 new; the refund when the change set `refunded` (a
-- charged video that ended failed or cancelled without a file), only while the usage row still
-- counts the video's month. Finished videos are final, so a refund happens at most once.
CREATE TRIGGER videos_counted_status AFTER UPDATE OF status ON videos
WHEN OLD.status IS NOT NEW.status
BEGIN
  UPDATE video_usage SET
    queued = queued + (NEW.status = 'queued') - (OLD.status = 'queued'),
    in_progress = in_progress + (NEW.status = 'in_progress') - (OLD.status = 'in_progress'),
    completed = completed + (NEW.status = 'completed') - (OLD.status = 'completed'),
    failed = failed + (NEW.status = 'failed') - (OLD.status = 'failed'),
    cancelled = cancelled + (NEW.status = 'cancelled') - (OLD.status = 'cancelled'),
    videos_used = videos_used - (NEW.refunded > OLD.refunded AND period = NEW.period),
    cents_used = cents_used
      - CASE WHEN NEW.refunded > OLD.refunded AND period = NEW.period THEN NEW.cost_cents ELSE 0 END,
    updated_at = NEW.updated_at
  WHERE owner = coalesce(NEW.user_id, ' none');
  UPDATE video_usage SET
    queued = queued + (NEW.status = 'queued') - (OLD.status = 'queued'),
    in_progress = in_progress + (NEW.status = 'in_progress') - (OLD.status = 'in_progress'),
    completed = completed + (NEW.status = 'completed') - (OLD.status = 'completed'),
    failed = failed + (NEW.status = 'failed') - (OLD.status = 'failed'),
    cancelled = cancelled + (NEW.status = 'cancelled') - (OLD.status = 'cancelled'),
    videos_used = videos_used - (NEW.refunded > OLD.refunded AND period = NEW.period),
    cents_used = cents_used
      - CASE WHEN NEW.refunded > OLD.refunded AND period = NEW.period THEN NEW.cost_cents ELSE 0 END,
    updated_at = NEW.updated_at
  WHERE owner = ' all';
  -- The generation's counts (its stored status and progress follow from them).
  UPDATE generations SET
    queued = queued + (NEW.status = 'queued') - (OLD.status = 'queued'),
    in_progress = in_progress + (NEW.status = 'in_progress') - (OLD.status = 'in_progress'),
    completed = completed + (NEW.status = 'completed') - (OLD.status = 'completed'),
    failed = failed + (NEW.status = 'failed') - (OLD.status = 'failed'),
    cancelled = cancelled + (NEW.status = 'cancelled') - (OLD.status = 'cancelled'),
    updated_at = NEW.updated_at
  WHERE generation_id = NEW.generation_id;
END;

-- Archived: one more on the shelf (a video is archived once; deleted videos are not counted).
CREATE TRIGGER videos_counted_archive AFTER UPDATE OF archived ON videos
WHEN OLD.archived = 0 AND NEW.archived = 1 AND NEW.deleted_at IS NULL
BEGIN
  UPDATE video_usage SET archived = archived + 1, updated_at = NEW.updated_at
  WHERE owner = coalesce(NEW.user_id, ' none');
  UPDATE video_usage SET archived = archived + 1, updated_at = NEW.updated_at
  WHERE owner = ' all';
END;

-- Soft-deleted: no longer counted in its status nor on the shelf (the month's usage stays:
-- a deleted video was still made; its generation still counts it).
CREATE TRIGGER videos_counted_delete AFTER UPDATE OF deleted_at ON videos
WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL
BEGIN
  UPDATE video_usage SET
    queued = queued - (OLD.status = 'queued'),
    in_progress = in_progress - (OLD.status = 'in_progress'),
    completed = completed - (OLD.status = 'completed'),
    failed = failed - (OLD.status = 'failed'),
    cancelled = cancelled - (OLD.status = 'cancelled'),
    archived = archived - OLD.archived,
    updated_at = NEW.updated_at
  WHERE owner = coalesce(NEW.user_id, ' none');
  UPDATE video_usage SET
    queued = queued - (OLD.status = 'queued'),
    in_progress = in_progress - (OLD.status = 'in_progress'),
    completed = completed - (OLD.status = 'completed'),
    failed = failed - (OLD.status = 'failed'),
    cancelled = cancelled - (OLD.status = 'cancelled'),
    archived = archived - OLD.archived,
    updated_at = NEW.updated_at
  WHERE owner = ' all';
END;
