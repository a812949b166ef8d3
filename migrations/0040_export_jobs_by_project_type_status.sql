-- Lists filtered by project and type walk one range of this index per status, in id order:
-- every list shape's page reads about its own length (README "Limits"). It replaces
-- export_jobs_by_project_type (project_id, type, id): with statuses too, a list walked the
-- project's status ranges of export_jobs_by_project and skipped the other types' jobs, ~50 ÷
-- the type's share of those jobs rows read a page (63 in `make bench-1m`; ~150 where the type is
-- a third of them). Its cost: status is one of its columns, so each status change writes one row
-- more (its entry moves); creating and purging a job write one row for it, as before.
DROP INDEX export_jobs_by_project_type;
CREATE INDEX export_jobs_by_project_type_status ON export_jobs (project_id, type, status, id);
