CREATE TABLE surveys (
  id               TEXT NOT NULL PRIMARY KEY,
  year             INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  timepoint        TEXT NOT NULL CHECK (timepoint IN ('midpoint', 'closing')),
  model            TEXT NOT NULL DEFAULT '' CHECK (model IN ('', 'social_explorations', 'peer_partners')),
  release          TEXT NOT NULL,
  answers          TEXT NOT NULL,
  released         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE survey_passes (
  hash             TEXT NOT NULL PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('code', 'device')),
  timepoint        TEXT NOT NULL CHECK (timepoint IN ('midpoint', 'closing')),
  model            TEXT NOT NULL DEFAULT '' CHECK (model IN ('', 'social_explorations', 'peer_partners')),
  year             INTEGER NOT NULL,
  expires_on       TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE hospitalization_baselines (
  participant_id   TEXT NOT NULL PRIMARY KEY REFERENCES participants (id),
  before_count     INTEGER NOT NULL CHECK (before_count BETWEEN 0 AND 1000),
  updated_at       DATETIME NOT NULL
);
CREATE TABLE hospital_stays (
  id               TEXT NOT NULL PRIMARY KEY,
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  admitted_on      TEXT NOT NULL,
  created_at       DATETIME NOT NULL
);
CREATE INDEX ix_hospital_stays_participant ON hospital_stays (participant_id, admitted_on);
CREATE TABLE service_changes (
  id               TEXT NOT NULL PRIMARY KEY,
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  service          TEXT NOT NULL,
  change           TEXT NOT NULL CHECK (change IN ('started', 'stopped', 'increased', 'decreased')),
  changed_on       TEXT NOT NULL,
  created_at       DATETIME NOT NULL
);
CREATE INDEX ix_service_changes_participant ON service_changes (participant_id, changed_on);
CREATE TABLE upstream_ids (
  subject_id       TEXT NOT NULL,
  kind             TEXT NOT NULL,
  program_month    INTEGER NOT NULL,
  record_id        TEXT NOT NULL UNIQUE,
  PRIMARY KEY (subject_id, kind, program_month)
);
ALTER TABLE cohorts ADD COLUMN surrogate_key TEXT NOT NULL DEFAULT '';
