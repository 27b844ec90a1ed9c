CREATE TABLE "outcome_service_changes" ("record_id" varchar(36) NOT NULL,"site_id" varchar(36) NOT NULL,"participant_key" varchar(36) NOT NULL,"service" varchar(40) NOT NULL,"kind" varchar(20) NOT NULL);
CREATE INDEX IF NOT EXISTS "idx_outcome_service_changes_record_id" ON "outcome_service_changes" ("record_id");
CREATE TABLE "rollup_hosp" ("site_id" varchar(36),"year" bigint,"model" varchar(30),"hospitalized" bigint NOT NULL,PRIMARY KEY ("site_id","year","model"));
CREATE TABLE "rollup_services" ("site_id" varchar(36),"year" bigint,"model" varchar(30),"service" varchar(40),"kind" varchar(20),"participants" bigint NOT NULL,PRIMARY KEY ("site_id","year","model","service","kind"));
CREATE INDEX idx_outcome_service_changes_key ON outcome_service_changes (site_id, participant_key);
