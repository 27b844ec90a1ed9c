package store

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"
)

// TestVersionMovesAfterEveryChange: a read leaves the data version where
// it is; a change outside a transaction and a committed transaction move
// it; a transaction rolled back does not. What was kept at a version is
// not answered at the next.
func TestVersionMovesAfterEveryChange(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	v0 := st.Version()
	if _, err := st.Participants.Participants(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AllUsers(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Version() != v0 {
		t.Errorf("reads moved the version: %d to %d", v0, st.Version())
	}
	if _, err := st.AddUser(ctx, "dir@example.org", "Dana", RoleDirector, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	v1 := st.Version()
	if v1 <= v0 {
		t.Fatalf("adding a user left the version at %d", v1)
	}
	if err := st.SetMeta(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	v2 := st.Version()
	if v2 <= v1 {
		t.Errorf("a write outside a transaction left the version at %d", v2)
	}
	boom := errors.New("boom")
	err := st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE users SET name = 'X'").Error; err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	us, _ := st.AllUsers(ctx)
	if us[0].Name != "Dana" {
		t.Fatalf("the rolled back change stayed: %q", us[0].Name)
	}

	st.figures.put(st.Version(), "x", 1)
	if _, ok := st.figures.get(st.Version(), "x"); !ok {
		t.Error("a value kept at this version is not found")
	}
	if err := st.SetMeta(ctx, "k", "w"); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.figures.get(st.Version(), "x"); ok {
		t.Error("a value kept before a change is answered after it")
	}
	st.figures.put(v0, "old", 1)
	if _, ok := st.figures.get(v0, "old"); ok {
		t.Error("a value of an older version replaced the newer ones")
	}
}

// TestAuditLinesKeepTheVersion: an audit line (every view of a record
// writes one) is written but leaves the version, and so the kept figures,
// as they were; the next change moves it as ever.
func TestAuditLinesKeepTheVersion(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	u, err := st.AddUser(ctx, "dir@example.org", "Dana", RoleDirector, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	v := st.Version()
	if err := st.Audit(ctx, u, "view", "participant", "p1", "GET /participants/:id"); err != nil {
		t.Fatal(err)
	}
	if st.Version() != v {
		t.Errorf("an audit line moved the version from %d to %d", v, st.Version())
	}
	lines, err := st.AuditLog(ctx, AuditFilter{SubjectID: "p1"})
	if err != nil || len(lines) != 1 || lines[0].Action != "view" || lines[0].UserName != "Dana" {
		t.Fatalf("audit log after the view: %+v, %v", lines, err)
	}
	if err := st.SetMeta(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if st.Version() <= v {
		t.Errorf("a change after the audit line left the version at %d", st.Version())
	}
}

// TestSiteHomeKeptUntilAChange: the home's figures and the enrollment are
// read again after a change, not before.
func TestSiteHomeKeptUntilAChange(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	u, err := st.AddUser(ctx, "dir@example.org", "Dana", RoleDirector, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	h1, err := st.Home.SiteHome(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Participants.AddParticipant(ctx, eligible(ParticipantInput{FirstName: "A", LastName: "B", BirthDate: "1980-01-01", EnrolledOn: st.Now().AddDate(0, 0, -3).Format(dateLayout)})); err != nil {
		t.Fatal(err)
	}
	h2, err := st.Home.SiteHome(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if len(h2.Items[DueInterview]) != len(h1.Items[DueInterview])+1 {
		t.Errorf("after an intake the home lists %d interviews due, before %d", len(h2.Items[DueInterview]), len(h1.Items[DueInterview]))
	}
	if _, err := st.Enrollment(ctx); !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("enrollment: %v", err)
	}
	if err := st.SaveEnrollment(ctx, Enrollment{HubURL: "http://hub", SiteID: "s", SiteName: "Riverside", Credential: "c", Generation: "g"}); err != nil {
		t.Fatal(err)
	}
	if e, err := st.Enrollment(ctx); err != nil || e.SiteName != "Riverside" {
		t.Errorf("enrollment after saving it: %+v %v", e, err)
	}
}
