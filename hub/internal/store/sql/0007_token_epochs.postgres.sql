ALTER TABLE "sites" ADD "token_epoch" bigint NOT NULL DEFAULT 0;
ALTER TABLE "enrollment_tokens" ADD "epoch" bigint NOT NULL DEFAULT 0;
