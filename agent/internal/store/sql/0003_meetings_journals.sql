CREATE TABLE meetings (
  id               TEXT NOT NULL PRIMARY KEY,
  cohort_id        TEXT NOT NULL REFERENCES cohorts (id),
  held_on          TEXT NOT NULL,
  program_month    INTEGER NOT NULL,
  theme            TEXT NOT NULL,
  lesson_plan      TEXT NOT NULL DEFAULT '',
  release          TEXT NOT NULL,
  notes            TEXT NOT NULL DEFAULT '',
  recorded_by      TEXT NOT NULL,
  created_at       DATETIME NOT NULL,
  updated_at       DATETIME NOT NULL
);
CREATE INDEX ix_meetings_cohort ON meetings (cohort_id, held_on);
CREATE TABLE meeting_attendance (
  meeting_id       TEXT NOT NULL REFERENCES meetings (id),
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  present          INTEGER NOT NULL,
  PRIMARY KEY (meeting_id, participant_id)
);
CREATE INDEX ix_attendance_participant ON meeting_attendance (participant_id);
CREATE TABLE meeting_skills (
  meeting_id       TEXT NOT NULL REFERENCES meetings (id),
  skill            TEXT NOT NULL,
  PRIMARY KEY (meeting_id, skill)
);
CREATE TABLE journal_entries (id TEXT NOT NULL PRIMARY KEY, participant_id TEXT NOT NULL REFERENCES participants(id), week_start TEXT NOT NULL, answers TEXT NOT NULL, entered_by TEXT NOT NULL, entered_at DATETIME NOT NULL, reviewed_by TEXT NOT NULL DEFAULT '', reviewed_at DATETIME, UNIQUE (participant_id, week_start));
