CREATE TABLE `outcome_service_changes` (`record_id` text NOT NULL,`site_id` text NOT NULL,`participant_key` text NOT NULL,`service` text NOT NULL,`kind` text NOT NULL);
CREATE INDEX `idx_outcome_service_changes_record_id` ON `outcome_service_changes`(`record_id`);
CREATE TABLE `rollup_hosp` (`site_id` text,`year` integer,`model` text,`hospitalized` integer NOT NULL,PRIMARY KEY (`site_id`,`year`,`model`));
CREATE TABLE `rollup_services` (`site_id` text,`year` integer,`model` text,`service` text,`kind` text,`participants` integer NOT NULL,PRIMARY KEY (`site_id`,`year`,`model`,`service`,`kind`));
CREATE INDEX idx_outcome_service_changes_key ON outcome_service_changes (site_id, participant_key);
