-- VEO job ownership: the `sub` of the user token that created a job (NULL when the service
-- token created it without ?user_id=). A user token sees and changes only its own jobs.

ALTER TABLE veo_jobs ADD COLUMN user_id TEXT;

-- A user's list, newest first, is one index range: (user_id) then the keyset order, and with a
-- status filter (user_id, status) then the keyset order. A user's list by video walks
-- veo_jobs_by_video (a video has few jobs) and checks the owner on the way. Partial: jobs the
-- service token wrote without an owner are never listed by owner and cost no index write.
CREATE INDEX veo_jobs_by_user ON veo_jobs (user_id, updated_at, job_id) WHERE user_id IS NOT NULL;
CREATE INDEX veo_jobs_by_user_status ON veo_jobs (user_id, status, updated_at, job_id) WHERE user_id IS NOT NULL;
