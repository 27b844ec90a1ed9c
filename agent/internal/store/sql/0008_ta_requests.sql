CREATE TABLE ta_requests (
  id               TEXT NOT NULL PRIMARY KEY,
  subject          TEXT NOT NULL,
  category         TEXT NOT NULL,
  body             TEXT NOT NULL,
  raised_by        TEXT NOT NULL REFERENCES users (id),
  raised_at        DATETIME NOT NULL,
  sent_at          DATETIME,
  send_error       TEXT NOT NULL DEFAULT '',
  status           TEXT NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'open', 'assigned', 'answered', 'closed', 'refused')),
  answer           TEXT NOT NULL DEFAULT '',
  answered_by      TEXT NOT NULL DEFAULT '',
  answered_at      DATETIME,
  answer_seq       INTEGER NOT NULL DEFAULT 0,
  updated_at       DATETIME NOT NULL
);
CREATE INDEX ix_ta_requests_unsent ON ta_requests (sent_at, raised_at);
