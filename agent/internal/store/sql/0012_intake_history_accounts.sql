CREATE TABLE participant_changes (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  changed_at       DATETIME NOT NULL,
  changed_by       TEXT NOT NULL,
  changed_by_name  TEXT NOT NULL,
  field            TEXT NOT NULL,
  old_value        TEXT NOT NULL,
  new_value        TEXT NOT NULL
);
CREATE INDEX ix_participant_changes_participant ON participant_changes (participant_id, id);
ALTER TABLE users ADD COLUMN disabled_at DATETIME;
