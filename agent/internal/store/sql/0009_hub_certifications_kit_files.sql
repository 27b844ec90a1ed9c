CREATE TABLE hub_certifications (
  code             TEXT NOT NULL PRIMARY KEY,
  seq              INTEGER NOT NULL,
  coach_name       TEXT NOT NULL,
  coach_email      TEXT NOT NULL DEFAULT '',
  status           TEXT NOT NULL CHECK (status IN ('current', 'expired', 'revoked')),
  issued_on        TEXT NOT NULL,
  expires_on       TEXT NOT NULL,
  revoked_reason   TEXT NOT NULL DEFAULT '',
  modules          TEXT NOT NULL DEFAULT '[]',
  received_at      DATETIME NOT NULL
);
CREATE INDEX ix_hub_certifications_email ON hub_certifications (coach_email);
CREATE TABLE kit_files (
  sha256           TEXT NOT NULL PRIMARY KEY,
  media_type       TEXT NOT NULL,
  size             INTEGER NOT NULL,
  data             BLOB NOT NULL,
  received_at      DATETIME NOT NULL
);
