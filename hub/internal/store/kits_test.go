package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/kits"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/training"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/program"
)

// pdf is a minimal document whose bytes say PDF.
var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func TestKitLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		ctx := context.Background()

		d, err := kits.New(s).CreateDraft(ctx, "2026.2", "", nil, "Tess Trainer")
		if err != nil {
			t.Fatal(err)
		}
		if d.BaseVersion != "2026.1" || d.Version != "2026.2" {
			t.Fatalf("draft from the latest release: %+v", d)
		}
		// A draft cannot take a published version.
		_, err = kits.New(s).CreateDraft(ctx, "2026.1", "", nil, "")
		wantField(t, err, "version")

		// Bad files are refused and change nothing.
		for name, c := range map[string]struct {
			up    kits.FileUpload
			field string
		}{
			"type lies":    {kits.FileUpload{Name: "w.pdf", Kind: program.FileWorksheet, MediaType: "application/pdf", Data: []byte("plain text, not a PDF")}, "file"},
			"unknown kind": {kits.FileUpload{Name: "w.pdf", Kind: "poster", MediaType: "application/pdf", Data: pdf}, "kind"},
			"bad type":     {kits.FileUpload{Name: "w.exe", Kind: program.FileHandout, MediaType: "application/x-msdownload", Data: []byte("MZ")}, "file"},
			"too large":    {kits.FileUpload{Name: "big.txt", Kind: program.FileHandbook, MediaType: "text/plain", Data: make([]byte, kits.MaxKitFileBytes+1)}, "file"},
			"no plan":      {kits.FileUpload{Name: "w.pdf", Kind: program.FileWorksheet, MediaType: "application/pdf", LessonPlan: "no_such_plan", Data: pdf}, "lesson_plan"},
		} {
			_, _, err := kits.New(s).AttachFile(ctx, d.ID, c.up)
			if err == nil {
				t.Fatalf("%s: attached", name)
			}
			wantField(t, err, c.field) // refused for the reason the case is about
		}
		if again, _ := kits.New(s).Draft(ctx, d.ID); again.Content != d.Content {
			t.Fatal("a refused file changed the draft")
		}
		base := program.Default()
		plan := base.LessonPlans[0].Code
		_, f, err := kits.New(s).AttachFile(ctx, d.ID, kits.FileUpload{Name: "Goal worksheet.pdf", Kind: program.FileWorksheet, MediaType: "application/pdf", LessonPlan: plan, Data: pdf})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(pdf)
		if f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(pdf)) {
			t.Fatalf("file %+v", f)
		}
		// Not served to agents before a published release names it.
		if _, err := kits.New(s).KitFileFor(ctx, f.SHA256); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("draft file served to agents: %v", err)
		}

		// Content: malformed JSON and unknown fields are refused, nothing changes.
		before, _ := kits.New(s).Draft(ctx, d.ID)
		for _, bad := range []string{`{`, `{"version":"2026.2","surprise":1}`, "\xff\xfe"} {
			if _, err := kits.New(s).ReplaceDraftContent(ctx, d.ID, []byte(bad)); err == nil {
				t.Fatalf("content %q accepted", bad)
			}
		}
		if after, _ := kits.New(s).Draft(ctx, d.ID); after.Content != before.Content {
			t.Fatal("refused content changed the draft")
		}
		next := base
		next.Version = "2026.2"
		next.Stipend.MonthlyCents = 6500
		next.LessonPlans = append([]program.LessonPlan{}, base.LessonPlans[1:]...)
		next.Files = nil // keeps the attached file
		b, _ := json.Marshal(next)
		// The first plan is gone, so the attached worksheet no longer validates.
		d, err = kits.New(s).ReplaceDraftContent(ctx, d.ID, b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kits.New(s).ValidateDraft(ctx, d.ID); err == nil {
			t.Fatal("a file attached to a removed lesson plan validates")
		}
		if _, err := kits.New(s).PublishDraft(ctx, d.ID, "Tess Trainer"); err == nil {
			t.Fatal("an invalid draft was published")
		}
		next.LessonPlans = base.LessonPlans
		b, _ = json.Marshal(next)
		if d, err = kits.New(s).ReplaceDraftContent(ctx, d.ID, b); err != nil {
			t.Fatal(err)
		}
		rel, _ := d.Release()
		changes := program.Diff(base, rel)
		kinds := map[string]string{}
		for _, c := range changes {
			kinds[c.Section+"/"+c.Key] = c.Kind
		}
		if kinds["stipend/monthly amount"] != program.Changed || kinds["files/Goal worksheet.pdf for lesson plan "+plan] != program.Added || len(changes) != 2 {
			t.Fatalf("diff from the base: %+v", changes)
		}

		r, err := kits.New(s).PublishDraft(ctx, d.ID, "Tess Trainer")
		if err != nil {
			t.Fatal(err)
		}
		if r.Version != "2026.2" || r.PublishedBy != "Tess Trainer" || r.Status() != store.StatusPublished {
			t.Fatalf("published %+v", r)
		}
		// Immutable: the draft is gone, its edits are refused as changes of a
		// published release, the version cannot be published with other content.
		if _, err := kits.New(s).ReplaceDraftContent(ctx, d.ID, b); !errors.Is(err, store.ErrPublished) {
			t.Fatalf("a published release's draft was edited: %v", err)
		}
		if _, _, err := kits.New(s).AttachFile(ctx, d.ID, kits.FileUpload{Name: "x.pdf", Kind: program.FileHandout, MediaType: "application/pdf", Data: pdf}); !errors.Is(err, store.ErrPublished) {
			t.Fatalf("a file was attached after publishing: %v", err)
		}
		if _, err := kits.New(s).PublishDraft(ctx, d.ID, "again"); !errors.Is(err, store.ErrPublished) {
			t.Fatalf("published twice: %v", err)
		}
		if err := kits.New(s).DeleteDraft(ctx, d.ID); !errors.Is(err, store.ErrPublished) {
			t.Fatalf("a published draft was deleted: %v", err)
		}
		if ds, _ := kits.New(s).Drafts(ctx); len(ds) != 0 {
			t.Fatalf("drafts after publishing: %+v", ds)
		}
		changed := next
		changed.Stipend.MonthlyCents = 1
		changed.Files = rel.Files
		wantField(t, s.PublishRelease(ctx, changed), "version")
		stored, _ := s.ReleaseByVersion(ctx, "2026.2")
		if stored.SHA256 != r.SHA256 {
			t.Fatal("the published release changed")
		}
		if kf, err := kits.New(s).KitFileFor(ctx, f.SHA256); err != nil || string(kf.Data) != string(pdf) {
			t.Fatalf("published file: %v", err)
		}

		// Sites: one on the old release is behind.
		site := enrolledSite(t, s, "Kit site")
		tok, _ := intake.New(s).IssueEnrollmentToken(ctx, site.ID, time.Hour)
		if _, _, _, err := intake.New(s).Enroll(ctx, tok, ""); err != nil {
			t.Fatal(err)
		}
		if err := intake.New(s).TouchSite(ctx, site.ID, "2026.1"); err != nil {
			t.Fatal(err)
		}

		// Retire: 2026.1 is no longer offered; the site on it is flagged.
		if _, err := kits.New(s).RetireRelease(ctx, "2026.1", " "); err == nil {
			t.Fatal("retired without a reason")
		} else {
			wantField(t, err, "reason")
		}
		if _, err := kits.New(s).RetireRelease(ctx, "2026.1", "superseded by 2026.2"); err != nil {
			t.Fatal(err)
		}
		rs, _ := s.ReleasesAfter(ctx, 0)
		if len(rs) != 1 || rs[0].Version != "2026.2" {
			t.Fatalf("offered after retiring: %+v", rs)
		}
		if l, _ := s.LatestRelease(ctx); l.Version != "2026.2" {
			t.Fatalf("latest %s", l.Version)
		}
		_, err = kits.New(s).RetireRelease(ctx, "2026.2", "oops")
		wantField(t, err, "version") // the last in service
		sites, latest, err := kits.New(s).SiteReleases(ctx)
		if err != nil || latest.Version != "2026.2" || len(sites) != 1 || !sites[0].Behind || !sites[0].OnRetired {
			t.Fatalf("site releases %+v %s %v", sites, latest.Version, err)
		}
		all, _ := kits.New(s).Releases(ctx)
		if len(all) != 2 || all[0].Status() != store.StatusRetired {
			t.Fatalf("releases %+v", all)
		}
	})
}

// Two retirements at the same moment of the two releases in service: one
// goes through and the other is refused, so a release is always left in
// service (each retirement counts the others in service under a lock on
// them, not from a count another retirement may be changing).
func TestRetireReleasesAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		ctx := context.Background()
		inService := []string{program.Default().Version}
		for round := range 6 {
			next := program.Default()
			next.Version = fmt.Sprintf("2030.%d", round+1)
			if err := s.PublishRelease(ctx, next); err != nil {
				t.Fatal(err)
			}
			inService = append(inService, next.Version)
			errs := make(chan error, 2)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for _, v := range inService {
				wg.Go(func() {
					<-start
					_, err := kits.New(s).RetireRelease(ctx, v, "superseded")
					errs <- err
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			retired := 0
			for err := range errs {
				if err == nil {
					retired++
				} else {
					wantField(t, err, "version")
				}
			}
			if rs, err := s.ReleasesAfter(ctx, 0); err != nil || retired != 1 || len(rs) != 1 {
				t.Fatalf("round %d: retiring %v at once retired %d, left %d in service (%v)", round, inService, retired, len(rs), err)
			} else {
				inService = []string{rs[0].Version}
			}
		}
	})
}

func TestCertificationRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		p := training.CertPolicy{ValidMonths: 12, WarnDays: 60}
		org, err := affiliates.New(s).AddOrganization(ctx, "Cert org", "peer_run", "VA")
		if err != nil {
			t.Fatal(err)
		}
		other, _ := affiliates.New(s).AddOrganization(ctx, "Other org", "nami", "MD")

		_, err = training.New(s).AddTrainee(ctx, org.ID, "Casey", "not an email", training.TraineeCoach)
		wantField(t, err, "email")
		coach, err := training.New(s).AddTrainee(ctx, org.ID, "Casey Coach", "Casey@Example.org", training.TraineeCoach)
		if err != nil || coach.Email != "casey@example.org" {
			t.Fatalf("%+v %v", coach, err)
		}
		director, _ := training.New(s).AddTrainee(ctx, org.ID, "Dana Director", "dana@example.org", training.TraineeDirector)
		outsider, _ := training.New(s).AddTrainee(ctx, other.ID, "Olly Other", "olly@example.org", training.TraineeCoach)

		wantField(t, training.New(s).CompleteModule(ctx, coach.ID, "juggling", "", "t"), "module")
		wantField(t, training.New(s).CompleteModule(ctx, coach.ID, "peer_support", "2026-04-01", "t"), "completed_on")
		for _, m := range training.Modules[:5] {
			if err := training.New(s).CompleteModule(ctx, coach.ID, m, "2026-02-01", "t"); err != nil {
				t.Fatal(err)
			}
		}
		_, err = training.New(s).Certify(ctx, coach.ID, p)
		wantField(t, err, "modules")
		if !strings.Contains(err.Error(), "Shared decision-making") {
			t.Fatalf("the refusal does not name the missing module: %v", err)
		}
		if cs, _ := training.New(s).Registry(ctx, org.ID, p); len(cs) != 0 {
			t.Fatal("a refused certification was stored")
		}
		if err := training.New(s).CompleteModule(ctx, coach.ID, "shared_decision_making", "", "t"); err != nil {
			t.Fatal(err)
		}
		_, err = training.New(s).Certify(ctx, director.ID, p)
		wantField(t, err, "trainee_id")

		cert, err := training.New(s).Certify(ctx, coach.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^IML-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$`).MatchString(cert.Code) {
			t.Fatalf("code %q", cert.Code)
		}
		if cert.IssuedOn != "2026-03-01" || cert.ExpiresOn != "2027-03-01" {
			t.Fatalf("dates %s %s", cert.IssuedOn, cert.ExpiresOn)
		}
		_, err = training.New(s).Certify(ctx, coach.ID, p)
		wantField(t, err, "trainee_id") // already certified: renew instead

		// Verification tells only name, status and expiry; codes are read
		// as people type them.
		v, err := training.New(s).Verify(ctx, " "+strings.ToLower(cert.Code)+" ")
		if err != nil || v != (training.Verification{Name: "Casey Coach", Status: contract.CertCurrent, ExpiresOn: "2027-03-01"}) {
			t.Fatalf("verify %+v %v", v, err)
		}
		if _, err := training.New(s).Verify(ctx, "IML-AAAA-AAAA-AAAA-AAAA"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown code: %v", err)
		}

		// The pull: the org's changes after a cursor, in order; never another org's.
		for _, m := range training.Modules {
			_ = training.New(s).CompleteModule(ctx, outsider.ID, m, "", "t")
		}
		if _, err := training.New(s).Certify(ctx, outsider.ID, p); err != nil {
			t.Fatal(err)
		}
		wire, err := training.New(s).CertificationsAfter(ctx, org.ID, 0, 100)
		if err != nil || len(wire) != 1 || wire[0].Code != cert.Code || wire[0].CoachEmail != "casey@example.org" || len(wire[0].Modules) != 6 {
			t.Fatalf("wire %+v %v", wire, err)
		}
		seq := wire[0].Seq

		// Expiring soon within the window only.
		if exp, _ := training.New(s).ExpiringCertifications(ctx, p); len(exp) != 0 {
			t.Fatalf("flagged a year ahead: %+v", exp)
		}
		now = time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)
		exp, _ := training.New(s).ExpiringCertifications(ctx, p)
		if len(exp) != 2 || !exp[0].ExpiresSoon {
			t.Fatalf("expiring %+v", exp)
		}
		// Renewal extends from the expiry and makes a new change.
		renewed, err := training.New(s).RenewCertification(ctx, cert.Code, p)
		if err != nil || renewed.ExpiresOn != "2028-03-01" || renewed.Seq <= seq {
			t.Fatalf("renewed %+v %v", renewed, err)
		}
		wire, _ = training.New(s).CertificationsAfter(ctx, org.ID, seq, 100)
		if len(wire) != 1 || wire[0].ExpiresOn != "2028-03-01" {
			t.Fatalf("renewal not pulled: %+v", wire)
		}
		seq = wire[0].Seq

		// Revocation needs a reason; a refused one changes nothing.
		_, err = training.New(s).RevokeCertification(ctx, cert.Code, "  ")
		wantField(t, err, "reason")
		if w, _ := training.New(s).CertificationsAfter(ctx, org.ID, seq, 100); len(w) != 0 {
			t.Fatal("a refused revocation made a change")
		}
		if _, err := training.New(s).RevokeCertification(ctx, cert.Code, "left the program"); err != nil {
			t.Fatal(err)
		}
		wire, _ = training.New(s).CertificationsAfter(ctx, org.ID, seq, 100)
		if len(wire) != 1 || wire[0].Status != contract.CertRevoked || wire[0].RevokedReason != "left the program" {
			t.Fatalf("revocation pulled %+v", wire)
		}
		_, err = training.New(s).RenewCertification(ctx, cert.Code, p)
		wantField(t, err, "code")
		if v, _ := training.New(s).Verify(ctx, cert.Code); v.Status != contract.CertRevoked {
			t.Fatalf("verify after revocation: %+v", v)
		}
		// After revocation the coach may be certified again, with a new code.
		again, err := training.New(s).Certify(ctx, coach.ID, p)
		if err != nil || again.Code == cert.Code {
			t.Fatalf("recertified %+v %v", again, err)
		}

		// Expired on the day after the expiry date.
		now = time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC)
		if v, _ := training.New(s).Verify(ctx, again.Code); v.Status != contract.CertExpired {
			t.Fatalf("verify after expiry: %+v", v)
		}

		// Director sessions are for directors.
		_, err = training.New(s).AddDirectorSession(ctx, coach.ID, "2026-03-01", "Tess", "")
		wantField(t, err, "trainee_id")
		if _, err := training.New(s).AddDirectorSession(ctx, director.ID, "2026-03-01", "Tess", "Program overview"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTrainingEventCapacity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		ctx := context.Background()
		org, _ := affiliates.New(s).AddOrganization(ctx, "Event org", "peer_run", "VA")
		_, err := training.New(s).AddTrainingEvent(ctx, training.TrainingEvent{Title: "Spring", Mode: training.ModeInPerson, StartsOn: "2026-04-01", Trainer: "Tess", Capacity: 1})
		wantField(t, err, "location")
		_, err = training.New(s).AddTrainingEvent(ctx, training.TrainingEvent{Title: "Spring", Mode: training.ModeVirtual, StartsOn: "2026-04-03", EndsOn: "2026-04-01", Trainer: "Tess", Capacity: 1})
		wantField(t, err, "ends_on")
		e, err := training.New(s).AddTrainingEvent(ctx, training.TrainingEvent{Title: "Spring", Mode: training.ModeVirtual, StartsOn: "2026-04-01", Trainer: "Tess", Capacity: 1})
		if err != nil || e.EndsOn != "2026-04-01" {
			t.Fatalf("%+v %v", e, err)
		}
		a, _ := training.New(s).AddTrainee(ctx, org.ID, "A", "a@example.org", training.TraineeCoach)
		b, _ := training.New(s).AddTrainee(ctx, org.ID, "B", "b@example.org", training.TraineeCoach)
		if err := training.New(s).Register(ctx, e.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		wantField(t, training.New(s).Register(ctx, e.ID, a.ID), "trainee_id")
		wantField(t, training.New(s).Register(ctx, e.ID, b.ID), "trainee_id") // full
		wantField(t, training.New(s).MarkAttendance(ctx, e.ID, b.ID, true), "trainee_id")
		if err := training.New(s).MarkAttendance(ctx, e.ID, a.ID, true); err != nil {
			t.Fatal(err)
		}
		rs, _ := training.New(s).Registrations(ctx, e.ID)
		if len(rs) != 1 || !rs[0].Attended {
			t.Fatalf("registrations %+v", rs)
		}
	})
}

// TestKitsMigrationRollsBack: 0005 undoes itself and applies again, keeping
// the releases published before it.
func TestKitsMigrationRollsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
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
