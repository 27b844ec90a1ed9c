package kits_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/kits"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/pkg/program"
)

func TestKitLifecycle(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {

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
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
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

// pdf is a minimal document whose bytes say PDF.
var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
