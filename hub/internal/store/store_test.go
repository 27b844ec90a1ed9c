package store_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/hub/internal/training"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/secret"
)

func TestMigrationsReplayAndReopen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		g1, err := s.Generation(context.Background())
		if err != nil || g1 == "" {
			t.Fatalf("generation %q, %v", g1, err)
		}
		s.Close()
		s2 := open(t, dsn)
		g2, _ := s2.Generation(context.Background())
		if g1 != g2 {
			t.Fatalf("generation changed on reopen: %s then %s", g1, g2)
		}
		rel, err := s2.LatestRelease(context.Background())
		if err != nil || rel.Version != "2026.1" {
			t.Fatalf("default release = %q, %v", rel.Version, err)
		}
	})
}

// Accounts made before migration 0003 (one role column) keep their role,
// and a Program Director their organization.
func TestMigration0003CarriesRolesOver(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		log := slog.New(slog.DiscardHandler)
		db, err := dbx.Open(dsn, log)
		if err != nil {
			t.Fatal(err)
		}
		opts := *gormigrate.DefaultOptions
		opts.TableName, opts.UseTransaction = "schema_migrations", true
		if err := gormigrate.New(db, &opts, store.Migrations(slog.New(slog.DiscardHandler))).MigrateTo("0001_init"); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO organizations (id, name, type, state, created_at) VALUES (?, ?, ?, ?, ?)", []any{"00000000-0000-0000-0000-0000000000aa", "Old Org", "peer_run", "VA", now}},
			{"INSERT INTO users (id, email, name, role, org_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", []any{"00000000-0000-0000-0000-000000000001", "old-admin@example.org", "Old Admin", "admin", "", "x", now}},
			{"INSERT INTO users (id, email, name, role, org_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", []any{"00000000-0000-0000-0000-000000000002", "old-pd@example.org", "Old PD", "director", "00000000-0000-0000-0000-0000000000aa", "x", now}},
		} {
			if err := db.Exec(q.sql, q.args...).Error; err != nil {
				t.Fatal(err)
			}
		}
		_ = dbx.Close(db)
		s := open(t, dsn)
		ctx := context.Background()
		a, err := staff.New(s).FindUser(ctx, "old-admin@example.org")
		if err != nil || a.RoleNames() != "admin" {
			t.Fatalf("admin after migration: roles %q, %v", a.RoleNames(), err)
		}
		d, err := staff.New(s).FindUser(ctx, "old-pd@example.org")
		if err != nil || d.Role != store.RoleDirector || d.OrgID != "00000000-0000-0000-0000-0000000000aa" {
			t.Fatalf("director after migration: %+v, %v", d.Grants, err)
		}
		cols, err := s.DB.Migrator().ColumnTypes(&store.User{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			if c.Name() == "role" || c.Name() == "org_id" {
				t.Fatalf("users still has column %s", c.Name())
			}
		}
	})
}

// On PostgreSQL the lock is held by one session at a time and comes free
// when the holder releases it; on SQLite it always succeeds.
func TestTryLock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		a, b := open(t, dsn), open(t, dsn)
		ctx := context.Background()
		la, err := a.TryLock(ctx, 42)
		if err != nil || la == nil {
			t.Fatalf("first: %v %v", la, err)
		}
		lb, err := b.TryLock(ctx, 42)
		if err != nil {
			t.Fatal(err)
		}
		if a.Dialect() == "sqlite" {
			if lb == nil {
				t.Fatal("SQLite lock refused")
			}
			return
		}
		if lb != nil {
			t.Fatal("two sessions hold the same advisory lock")
		}
		if err := la.Check(ctx); err != nil {
			t.Fatal(err)
		}
		la.Release()
		lb, err = b.TryLock(ctx, 42)
		if err != nil || lb == nil {
			t.Fatalf("after release: %v %v", lb, err)
		}
		lb.Release()
	})
}

// TestMigrationStartsExistingOrganizationsAtInquiry: organizations made
// before migration 0004 start at the inquiry stage on the day they were
// added, with that first step in their history.
func TestMigrationStartsExistingOrganizationsAtInquiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		db, err := dbx.Open(dsn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if err := dbx.Migrate(db, store.Migrations(slog.New(slog.DiscardHandler))[:1]); err != nil {
			t.Fatal(err)
		}
		added := time.Date(2025, 9, 14, 22, 30, 0, 0, time.UTC)
		if err := db.Exec("INSERT INTO organizations (id, name, type, state, created_at) VALUES (?, ?, ?, ?, ?)",
			"0190a4b2-0000-7000-8000-000000000001", "Older org", "church", "GA", added).Error; err != nil {
			t.Fatal(err)
		}
		dbx.Close(db)
		s := open(t, dsn)
		st, on, n := stageOf(t, s, "0190a4b2-0000-7000-8000-000000000001")
		if st != affiliates.StageInquiry || on != "2025-09-14" || n != 1 {
			t.Fatalf("an older organization is at %q since %q with %d history rows", st, on, n)
		}
		if _, err := affiliates.New(s).ChangeStage(context.Background(), "0190a4b2-0000-7000-8000-000000000001", affiliates.StageInput{To: affiliates.StageAgreement, On: "2025-10-01"}, "Ana"); err != nil {
			t.Fatalf("an older organization cannot move on: %v", err)
		}
	})
}

// TestKitsMigrationRollsBack: 0005 undoes itself and applies again, keeping
// the releases published before it.
func TestKitsMigrationRollsBack(t *testing.T) {
	storetest.Each(t, func(_ context.Context, t *testing.T, s *store.Store) {
		opts := *gormigrate.DefaultOptions
		opts.TableName = "schema_migrations"
		opts.UseTransaction = true
		m := gormigrate.New(s.DB, &opts, store.Migrations(slog.New(slog.DiscardHandler)))
		if err := m.RollbackTo("0001_init"); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"release_drafts", "kit_files", "certifications", "trainees", "hub_counters"} {
			if s.DB.Migrator().HasTable(table) {
				t.Fatalf("%s left after rollback", table)
			}
		}
		if s.DB.Migrator().HasColumn("releases", "retired_at") {
			t.Fatal("releases.retired_at left after rollback")
		}
		if err := m.Migrate(); err != nil {
			t.Fatal(err)
		}
		if l, err := s.LatestRelease(context.Background()); err != nil || l.Version != "2026.1" {
			t.Fatalf("after migrating again: %q %v", l.Version, err)
		}
		// The counter row is back, so certification works.
		ctx := context.Background()
		org, _ := affiliates.New(s).AddOrganization(ctx, "Roll org", "peer_run", "VA")
		tr, _ := training.New(s).AddTrainee(ctx, org.ID, "R", "r@example.org", training.TraineeCoach)
		for _, mod := range training.Modules {
			_ = training.New(s).CompleteModule(ctx, tr.ID, mod, "", "t")
		}
		if _, err := training.New(s).Certify(ctx, tr.ID, training.DefaultCertPolicy); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTokenEpochMigration: migration 0007 keeps only the newest unused
// token of each site, and that one still enrolls.
func TestTokenEpochMigration(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		site := enrolledSite(t, s, "Before epochs")
		opts := *gormigrate.DefaultOptions
		opts.TableName, opts.UseTransaction = "schema_migrations", true
		m := gormigrate.New(s.DB, &opts, store.Migrations(slog.New(slog.DiscardHandler)))
		if err := m.RollbackTo("0005_kits_training"); err != nil {
			t.Fatal(err)
		}
		if s.DB.Migrator().HasColumn("sites", "token_epoch") || s.DB.Migrator().HasColumn("enrollment_tokens", "epoch") {
			t.Fatal("the epoch columns are left after the rollback")
		}
		now := time.Now().UTC()
		toks := map[string]time.Time{"imlenr_old": now.Add(-2 * time.Hour), "imlenr_older": now.Add(-3 * time.Hour), "imlenr_newest": now.Add(-time.Hour)}
		for tok, at := range toks {
			if err := s.DB.Exec("INSERT INTO enrollment_tokens (hash, site_id, expires_at, created_at) VALUES (?, ?, ?, ?)",
				secret.Hash(tok), site.ID, now.Add(time.Hour), at).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Migrate(); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{"imlenr_old", "imlenr_older"} {
			if _, _, _, err := intake.New(s).Enroll(ctx, tok, ""); !errors.Is(err, store.ErrTokenInvalid) {
				t.Fatalf("%s after the migration: %v", tok, err)
			}
		}
		if _, _, _, err := intake.New(s).Enroll(ctx, "imlenr_newest", ""); err != nil {
			t.Fatalf("the newest token after the migration: %v", err)
		}
	})
}

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
			err := s.DB.Transaction(func(tx *gorm.DB) error {
				mark, args, err := store.IngestMark(tx)
				if err != nil {
					return err
				}
				return tx.Exec("INSERT INTO records (id, site_id, type, version, hash, deleted, data, xact) VALUES (?, ?, ?, 1, ?, ?, ?, "+mark+")",
					append([]any{id, site.ID, typ, contract.HashRecord(typ, false, []byte(data)), false, data}, args...)...).Error
			})
			if err != nil {
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
		mark, err := store.ProjectedMark(s.DB)
		if err != nil {
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
			pending := r.Xact > mark.Xact || r.Xact == mark.Xact && r.ID > mark.RecordID
			if isBad && (!pending || r.Hash != contract.HashRecord(r.Type, true, nil)) {
				t.Fatalf("the cleaned record is not a pending tombstone: %+v", r)
			}
		}
		if _, err := intake.New(s).ProjectPending(ctx, 100); err != nil {
			t.Fatal(err)
		}
		var rows int64
		for _, q := range []string{
			"SELECT COUNT(*) FROM pom_interviews WHERE CAST(answers AS TEXT) LIKE '%jane%'",
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
