CREATE TABLE `record_marks` (`name` text,`xact` integer NOT NULL,`record_id` text NOT NULL,PRIMARY KEY (`name`));
