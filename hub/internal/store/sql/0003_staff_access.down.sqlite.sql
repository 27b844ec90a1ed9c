ALTER TABLE `users` ADD `role` text NOT NULL DEFAULT "";
ALTER TABLE `users` ADD `org_id` text;
