ALTER TABLE `sites` ADD `token_epoch` integer NOT NULL DEFAULT 0;
ALTER TABLE `enrollment_tokens` ADD `epoch` integer NOT NULL DEFAULT 0;
