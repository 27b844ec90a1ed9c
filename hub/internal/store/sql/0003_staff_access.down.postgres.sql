ALTER TABLE "users" ADD "role" varchar(20) NOT NULL DEFAULT '';
ALTER TABLE "users" ADD "org_id" varchar(36);
