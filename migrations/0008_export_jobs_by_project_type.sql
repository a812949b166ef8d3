-- Lists filtered by project and type (and no status) walk one range of this index, in id order.
-- They walked the project's five status ranges of export_jobs_by_project and skipped the other
-- types' jobs: ~270 rows read for a page of 50 where the type is a third of the project's jobs
-- (`make bench`). No column of this index changes after an insert, so it costs one row written
-- when a job is created and one when it is purged, and nothing on a status change.
CREATE INDEX export_jobs_by_project_type ON export_jobs (project_id, type, id);
