ALTER TABLE participants ADD COLUMN age_override_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE participants ADD COLUMN informed_consent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN manages_finances INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN sets_goals INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN accepts_responsibilities INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN agreement_signed_on TEXT NOT NULL DEFAULT '';
ALTER TABLE participants ADD COLUMN hospitalization_consent_on TEXT NOT NULL DEFAULT '';
ALTER TABLE participants ADD COLUMN coach_id TEXT NOT NULL DEFAULT '';
CREATE TABLE coaches (
  id               TEXT NOT NULL PRIMARY KEY,
  user_id          TEXT NOT NULL DEFAULT '',
  name             TEXT NOT NULL,
  email            TEXT NOT NULL DEFAULT '',
  bio              TEXT NOT NULL DEFAULT '',
  cert_code        TEXT NOT NULL DEFAULT '',
  certified_until  TEXT NOT NULL DEFAULT '',
  cert_revoked     INTEGER NOT NULL DEFAULT 0,
  cert_source      TEXT NOT NULL DEFAULT '',
  active           INTEGER NOT NULL DEFAULT 1,
  created_at       DATETIME NOT NULL,
  updated_at       DATETIME NOT NULL
);
CREATE INDEX ix_coaches_user ON coaches (user_id);
CREATE TABLE cohorts (
  id               TEXT NOT NULL PRIMARY KEY,
  name             TEXT NOT NULL,
  model            TEXT NOT NULL,
  start_date       TEXT NOT NULL,
  coach_id         TEXT NOT NULL REFERENCES coaches (id),
  meeting_day      TEXT NOT NULL DEFAULT '',
  meeting_time     TEXT NOT NULL DEFAULT '',
  frequency        TEXT NOT NULL DEFAULT 'weekly',
  location         TEXT NOT NULL DEFAULT '',
  mixed_pairs      INTEGER NOT NULL DEFAULT 1,
  closed_on        TEXT NOT NULL DEFAULT '',
  created_at       DATETIME NOT NULL,
  updated_at       DATETIME NOT NULL
);
CREATE INDEX ix_cohorts_coach ON cohorts (coach_id);
CREATE TABLE cohort_members (
  cohort_id        TEXT NOT NULL REFERENCES cohorts (id),
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  joined_on        TEXT NOT NULL,
  left_on          TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (cohort_id, participant_id)
);
CREATE INDEX ix_members_participant ON cohort_members (participant_id);
CREATE TABLE audit_log (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  at               DATETIME NOT NULL,
  user_id          TEXT NOT NULL,
  user_name        TEXT NOT NULL,
  action           TEXT NOT NULL,
  subject_type     TEXT NOT NULL,
  subject_id       TEXT NOT NULL,
  detail           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_audit_subject ON audit_log (subject_type, subject_id);
CREATE INDEX ix_audit_at ON audit_log (at);
