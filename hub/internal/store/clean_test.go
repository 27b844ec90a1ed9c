package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/deident"
)

// TestUpgradeCleansRecords: a hub that stored records under the looser
// checks of earlier versions (a key sent twice, free text where a code
// goes) holds none of their bytes after the upgrade, and their rows leave
// the reports; good records stay as they were.
func TestUpgradeCleansRecords(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
		site := enrolledSite(t, s, "Clean")
		key := "0190a0c0-0000-4000-8000-000000000001"
		good := interview(t, deident.NewRecordID(time.Now()), key, "eligibility", 1, map[string]bool{"pom01_natural_supports": true})
		if _, _, err := intake.New(s).Push(ctx, site.ID, 1, []contract.Record{good}, nil); err != nil {
			t.Fatal(err)
		}
		canary := "Jane Doe DOB 1980-03-14 SSN 123-45-6789"
		bad := map[string]string{
			contract.TypeParticipant:  `{"key":"` + key + `","enrollment_year":2026,"age_band":"` + canary + `","age_band":"25-34"}`,
			contract.TypePOMInterview: `{"participant_key":"` + key + `","enrollment_year":2026,"age_band":"25-34","timepoint":"closing","program_month":12,"release":"2026.1","answers":{"jane_doe_born_1980_03_14_ssn_123456789":true}}`,
		}
		for typ, data := range bad {
			id := deident.NewRecordID(time.Now())
			// As an older hub stored them: the bytes it was sent.
			if err := s.DB.Exec("INSERT INTO records (id, site_id, type, version, hash, deleted, data, projected) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
				id, site.ID, typ, contract.HashRecord(typ, false, []byte(data)), false, data, false).Error; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := intake.New(s).ProjectPending(ctx, 100); err != nil {
			t.Fatal(err)
		}
		// Text an older hub kept from a site's release header and from a
		// path, and an audit entry that was fine.
		if err := s.DB.Exec("UPDATE sites SET release = ? WHERE id = ?", canary, site.ID).Error; err != nil {
			t.Fatal(err)
		}
		for _, e := range []store.AuditEntry{
			{At: time.Now(), ActorKind: "anonymous", Method: "POST", Route: "/api/v1/organizations/:id/contacts", Targets: "id=" + canary + "\x1b[2J", Status: 401},
			{At: time.Now(), ActorKind: "anonymous", Method: "GET", Route: "/api/v1/organizations/:id", Targets: "id=0190a4b2-0000-7000-8000-000000000001", Status: 401},
		} {
			if err := s.DB.Create(&e).Error; err != nil {
				t.Fatal(err)
			}
		}
		// The upgrade: the cleaning migration has not run on this database.
		if err := s.DB.Exec("DELETE FROM schema_migrations WHERE id = ?", "0006_clean_records").Error; err != nil {
			t.Fatal(err)
		}
		s.Close()
		s = open(t, dsn)
		var stored []store.Record
		if err := s.DB.Order("id").Find(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if len(stored) != 3 {
			t.Fatalf("%d records after the upgrade, want 3", len(stored))
		}
		for _, r := range stored {
			if strings.Contains(r.Data, "Jane") || strings.Contains(r.Data, "jane") {
				t.Fatalf("record %s still holds the canary: %s", r.ID, r.Data)
			}
			isBad := r.ID != good.ID
			if isBad != r.Deleted {
				t.Fatalf("record %s deleted=%v, want %v", r.ID, r.Deleted, isBad)
			}
			if !isBad && (r.Data != string(good.Data) || r.Hash != good.Hash) {
				t.Fatalf("the good record changed: %+v", r)
			}
			if isBad && (r.Projected || r.Hash != contract.HashRecord(r.Type, true, nil)) {
				t.Fatalf("the cleaned record is not a pending tombstone: %+v", r)
			}
		}
		if _, err := intake.New(s).ProjectPending(ctx, 100); err != nil {
			t.Fatal(err)
		}
		var rows int64
		for _, q := range []string{
			"SELECT COUNT(*) FROM pom_answers WHERE indicator_code LIKE 'jane%'",
			"SELECT COUNT(*) FROM outcome_participants",
			"SELECT COUNT(*) FROM pom_interviews WHERE timepoint = 'closing'",
		} {
			if err := s.DB.Raw(q).Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if rows != 0 {
				t.Fatalf("%s: %d rows after the cleaning", q, rows)
			}
		}
		if err := s.DB.Raw("SELECT COUNT(*) FROM pom_interviews").Scan(&rows).Error; err != nil || rows != 1 {
			t.Fatalf("the good interview's projection: %d rows, %v", rows, err)
		}
		var release string
		if err := s.DB.Raw("SELECT release FROM sites WHERE id = ?", site.ID).Scan(&release).Error; err != nil || release != "" {
			t.Fatalf("the site's release after the upgrade: %q %v", release, err)
		}
		var targets []string
		if err := s.DB.Raw("SELECT targets FROM audit_log ORDER BY id").Scan(&targets).Error; err != nil {
			t.Fatal(err)
		}
		if len(targets) != 2 || targets[0] != "id=(not an id)" || targets[1] != "id=0190a4b2-0000-7000-8000-000000000001" {
			t.Fatalf("audit targets after the upgrade: %q", targets)
		}
		// Running it again finds nothing more.
		if n, err := store.CleanRecords(s.DB, s.Log); err != nil || n != 0 {
			t.Fatalf("second cleaning turned %d records, %v", n, err)
		}
	})
}

func TestAuditTarget(t *testing.T) {
	for _, c := range []struct{ name, v, want string }{
		{"id", "0190a4b2-0000-7000-8000-000000000001", "0190a4b2-0000-7000-8000-000000000001"},
		{"assignment", "42", "42"},
		{"id", "ANONMK01JaneDoe", "(not an id)"},
		{"rid", "Jane\x1b[2J", "(not an id)"},
		{"sha", strings.Repeat("ab", 32), strings.Repeat("ab", 32)},
		{"sha", strings.Repeat("AB", 32), "(not an id)"},
		{"code", "IML-7K2Q-MD4X-5TRA-LP3C", "IML-7K2Q-MD4X-5TRA-LP3C"},
		{"code", "JaneDoe", "(not an id)"},
		{"version", "2026.1", "2026.1"},
		{"version", "Jane Doe 1980", "(not an id)"},
		{"table", "pom", "pom"},
		{"table", "Jane", "(not an id)"},
		{"id", strings.Repeat("1", 21), "(not an id)"},
	} {
		if got := store.AuditTarget(c.name, c.v); got != c.want {
			t.Errorf("AuditTarget(%q, %q) = %q, want %q", c.name, c.v, got, c.want)
		}
	}
}
