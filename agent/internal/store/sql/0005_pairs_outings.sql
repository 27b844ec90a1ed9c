CREATE TABLE pairing_profiles (
  participant_id   TEXT NOT NULL PRIMARY KEY REFERENCES participants (id),
  interests        TEXT NOT NULL DEFAULT '[]',
  gender           TEXT NOT NULL DEFAULT ''
                   CHECK (gender IN ('', 'woman', 'man', 'non_binary', 'prefer_not_to_say')),
  notes            TEXT NOT NULL DEFAULT '',
  updated_at       DATETIME NOT NULL
);
CREATE TABLE pairs (
  id               TEXT NOT NULL PRIMARY KEY,
  cohort_id        TEXT NOT NULL REFERENCES cohorts (id),
  formed_on        TEXT NOT NULL,
  ended_on         TEXT NOT NULL DEFAULT '',
  end_reason       TEXT NOT NULL DEFAULT ''
                   CHECK (end_reason IN ('', 'not_working_well', 'different_progression', 'left_program', 'other')),
  end_note         TEXT NOT NULL DEFAULT '',
  created_at       DATETIME NOT NULL,
  updated_at       DATETIME NOT NULL,
  CHECK ((ended_on = '') = (end_reason = ''))
);
CREATE INDEX ix_pairs_cohort ON pairs (cohort_id, ended_on);
CREATE TABLE pair_members (
  pair_id          TEXT NOT NULL REFERENCES pairs (id),
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  joined_on        TEXT NOT NULL,
  ended_on         TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (pair_id, participant_id)
);
CREATE UNIQUE INDEX ux_pair_members_current ON pair_members (participant_id) WHERE ended_on = '';
CREATE TABLE outings (
  id               TEXT NOT NULL PRIMARY KEY,
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  outing_on        TEXT NOT NULL,
  activity         TEXT NOT NULL,
  stage            INTEGER NOT NULL CHECK (stage BETWEEN 1 AND 4),
  goal_id          TEXT NOT NULL DEFAULT '',
  cost_cents       INTEGER NOT NULL DEFAULT 0 CHECK (cost_cents >= 0),
  partner_id       TEXT NOT NULL DEFAULT '',
  created_at       DATETIME NOT NULL
);
CREATE INDEX ix_outings_participant ON outings (participant_id, outing_on);
