CREATE TABLE participant_accounts (
  participant_id   TEXT NOT NULL PRIMARY KEY REFERENCES participants (id),
  login            TEXT NOT NULL UNIQUE,
  code_hash        TEXT NOT NULL DEFAULT '',
  code_expires_at  DATETIME,
  pin_hash         TEXT NOT NULL DEFAULT '',
  failed_logins    INTEGER NOT NULL DEFAULT 0,
  locked_until     DATETIME,
  issued_by        TEXT NOT NULL,
  issued_at        DATETIME NOT NULL,
  activated_at     DATETIME,
  revoked_at       DATETIME
);
CREATE TABLE participant_sessions (
  hash             TEXT NOT NULL PRIMARY KEY,
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  csrf             TEXT NOT NULL,
  expires_at       DATETIME NOT NULL,
  created_at       DATETIME NOT NULL
);
CREATE INDEX ix_participant_sessions_participant ON participant_sessions (participant_id);
CREATE INDEX ix_journal_entries_week ON journal_entries (week_start);
CREATE INDEX ix_expenses_month ON expenses (month);
CREATE INDEX ix_plan_lines_month ON spending_plan_lines (month);
ALTER TABLE journal_entries ADD COLUMN entered_by_kind TEXT NOT NULL DEFAULT 'staff' CHECK (entered_by_kind IN ('staff', 'participant'));
