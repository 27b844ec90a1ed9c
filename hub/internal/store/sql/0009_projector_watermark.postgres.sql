CREATE TABLE "record_marks" ("name" varchar(20),"xact" bigint NOT NULL,"record_id" varchar(36) NOT NULL,PRIMARY KEY ("name"));
