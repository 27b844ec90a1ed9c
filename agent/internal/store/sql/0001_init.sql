CREATE TABLE `agent_meta` (`key` text,`value` text NOT NULL,PRIMARY KEY (`key`));
CREATE TABLE `releases` (`version` text,`sha256` text NOT NULL,`content` text NOT NULL,`received_at` datetime NOT NULL,PRIMARY KEY (`version`));
CREATE TABLE `participants` (`id` text,`surrogate_key` text NOT NULL,`first_name` text NOT NULL,`last_name` text NOT NULL,`birth_date` text NOT NULL,`phone` text,`email` text,`address` text,`enrolled_on` text NOT NULL,`withdrawn_at` datetime,`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL,PRIMARY KEY (`id`));
CREATE UNIQUE INDEX `idx_participants_surrogate_key` ON `participants`(`surrogate_key`);
CREATE TABLE `pom_interviews` (`id` text,`participant_id` text NOT NULL,`timepoint` text NOT NULL,`interviewed_on` text NOT NULL,`release` text NOT NULL,`answers` text NOT NULL,`notes` text,`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL,PRIMARY KEY (`id`));
CREATE UNIQUE INDEX `ux_pom_participant_timepoint` ON `pom_interviews`(`participant_id`,`timepoint`);
CREATE TABLE `users` (`id` text,`email` text NOT NULL,`name` text NOT NULL,`role` text NOT NULL,`password_hash` text NOT NULL,`failed_logins` integer NOT NULL DEFAULT 0,`locked_until` datetime,`created_at` datetime NOT NULL,PRIMARY KEY (`id`));
CREATE UNIQUE INDEX `idx_users_email` ON `users`(`email`);
CREATE TABLE `sessions` (`hash` text,`user_id` text NOT NULL,`csrf` text NOT NULL,`expires_at` datetime NOT NULL,`created_at` datetime NOT NULL,PRIMARY KEY (`hash`));
CREATE INDEX `idx_sessions_expires_at` ON `sessions`(`expires_at`);
CREATE INDEX `idx_sessions_user_id` ON `sessions`(`user_id`);
-- The outbox, a change log. Every write of a record moves it to a new,
-- never reused change_seq (the rowid, AUTOINCREMENT); the hub holds
-- everything up to the acknowledged watermark (agent_meta "acked_upto").
-- Reading due records is one range scan of the table in rowid order, and
-- acknowledging a batch is one watermark update. sync_acks remembers, per
-- batch, the watermark it reached, so that a hub restored from a backup
-- can be answered by moving the watermark back.
CREATE TABLE sync_records (
  change_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT    NOT NULL UNIQUE,
  type       TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  hash       TEXT    NOT NULL,
  deleted    INTEGER NOT NULL,
  data       TEXT    NOT NULL,
  conflict   TEXT    NOT NULL DEFAULT '',
  updated_at DATETIME NOT NULL
);
CREATE TABLE sync_acks (
  seq  INTEGER NOT NULL PRIMARY KEY,
  upto INTEGER NOT NULL
);
