CREATE TABLE goals (
  id               TEXT NOT NULL PRIMARY KEY,
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  slot             INTEGER NOT NULL CHECK (slot BETWEEN 1 AND 3),
  title            TEXT NOT NULL,
  why              TEXT NOT NULL DEFAULT '',
  action_plan      TEXT NOT NULL DEFAULT '',
  created_at       DATETIME NOT NULL,
  updated_at       DATETIME NOT NULL,
  UNIQUE (participant_id, slot)
);
CREATE TABLE spending_plan_lines (
  id               TEXT NOT NULL PRIMARY KEY,
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  month            TEXT NOT NULL,
  position         INTEGER NOT NULL,
  goal_id          TEXT NOT NULL REFERENCES goals (id),
  description      TEXT NOT NULL,
  planned_cents    INTEGER NOT NULL CHECK (planned_cents > 0),
  created_at       DATETIME NOT NULL,
  updated_at       DATETIME NOT NULL
);
CREATE INDEX ix_plan_lines_participant_month ON spending_plan_lines (participant_id, month);
CREATE TABLE expenses (
  id               TEXT NOT NULL PRIMARY KEY,
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  month            TEXT NOT NULL,
  goal_id          TEXT NOT NULL REFERENCES goals (id),
  plan_line_id     TEXT NOT NULL REFERENCES spending_plan_lines (id),
  spent_on         TEXT NOT NULL,
  amount_cents     INTEGER NOT NULL CHECK (amount_cents > 0),
  what             TEXT NOT NULL,
  recorded_by      TEXT NOT NULL,
  created_at       DATETIME NOT NULL
);
CREATE INDEX ix_expenses_participant_month ON expenses (participant_id, month);
CREATE INDEX ix_expenses_plan_line ON expenses (plan_line_id);
CREATE TABLE receipts (
  id               TEXT NOT NULL PRIMARY KEY,
  expense_id       TEXT NOT NULL REFERENCES expenses (id),
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  file_id          TEXT NOT NULL UNIQUE,
  mime_type        TEXT NOT NULL,
  size_bytes       INTEGER NOT NULL,
  sha256           TEXT NOT NULL,
  uploaded_by      TEXT NOT NULL,
  uploaded_at      DATETIME NOT NULL
);
CREATE INDEX ix_receipts_expense ON receipts (expense_id);
CREATE TABLE stipend_payments (
  id               TEXT NOT NULL PRIMARY KEY,
  participant_id   TEXT NOT NULL REFERENCES participants (id),
  month            TEXT NOT NULL,
  amount_cents     INTEGER NOT NULL CHECK (amount_cents > 0),
  approved_by      TEXT NOT NULL,
  approved_by_name TEXT NOT NULL,
  approved_at      DATETIME NOT NULL,
  UNIQUE (participant_id, month)
);
