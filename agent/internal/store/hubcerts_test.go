package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

func TestHubCertificationsDecideWhoLeads(t *testing.T) {
	ctx := context.Background()
	st := openTestAt(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	byEmail, err := st.Coaches.AddCoach(ctx, CoachInput{Name: "Casey", Email: "Casey@Example.org", Bio: "Likes hiking."})
	if err != nil {
		t.Fatal(err)
	}
	byCode, err := st.Coaches.AddCoach(ctx, CoachInput{Name: "Robin", Bio: "Likes chess."})
	if err != nil {
		t.Fatal(err)
	}
	wire := func(seq int64, code, email, status, expires string) contract.CertificationWire {
		return contract.CertificationWire{Seq: seq, Code: code, CoachName: "x", CoachEmail: email, Status: status, IssuedOn: "2026-01-01", ExpiresOn: expires, Modules: []string{}}
	}
	const codeA, codeB = "IML-AAAA-BBBB-CCCC-DDDD", "IML-EEEE-FFFF-GGGG-HHHH"
	n, err := st.Coaches.ApplyHubCertifications(ctx, []contract.CertificationWire{
		wire(1, codeA, "casey@example.org", contract.CertCurrent, "2026-06-15"),
		wire(2, codeB, "", contract.CertCurrent, "2028-01-01"),
	})
	if err != nil || n != 1 {
		t.Fatalf("applied %d, %v", n, err)
	}
	c, _ := st.Coaches.Coach(ctx, byEmail.ID)
	if c.CertCode != codeA || c.CertSource != "hub" || !c.CertifiedOn(st.Now()) || !c.ExpiresSoon(st.Now(), ExpiryWarnDays) {
		t.Fatalf("matched by email: %+v", c)
	}
	// Robin has no email: the director links the code from the certificate.
	var ve *ValidationError
	if _, err := st.Coaches.LinkHubCertification(ctx, byCode.ID, "IML-ZZZZ-ZZZZ-ZZZZ-ZZZZ"); !errors.As(err, &ve) {
		t.Fatalf("unknown code linked: %v", err)
	}
	if _, err := st.Coaches.LinkHubCertification(ctx, byCode.ID, codeA); !errors.As(err, &ve) {
		t.Fatalf("another coach's code linked: %v", err)
	}
	c, err = st.Coaches.LinkHubCertification(ctx, byCode.ID, " iml-eeee-ffff-gggg-hhhh ")
	if err != nil || c.CertCode != codeB || c.CertSource != "hub" || c.ExpiresSoon(st.Now(), ExpiryWarnDays) {
		t.Fatalf("linked %+v %v", c, err)
	}
	in := CohortInput{Name: "Spring group", Model: program.ModelPeerPartners, StartDate: "2026-05-04", CoachID: byCode.ID, MeetingDay: "tuesday", MeetingTime: "18:00"}
	if _, err := st.Cohorts.AddCohort(ctx, in); err != nil {
		t.Fatal(err)
	}
	// Revoked at the hub: no new cohort for Robin.
	if _, err := st.Coaches.ApplyHubCertifications(ctx, []contract.CertificationWire{wire(3, codeB, "", contract.CertRevoked, "2028-01-01")}); err != nil {
		t.Fatal(err)
	}
	in.Name = "Summer group"
	if _, err := st.Cohorts.AddCohort(ctx, in); !errors.As(err, &ve) {
		t.Fatalf("a revoked coach leads a new cohort: %v", err)
	}
	// Expired: the day after its expiry Casey no longer leads.
	st.Now = func() time.Time { return time.Date(2026, 6, 16, 9, 0, 0, 0, time.UTC) }
	in.CoachID, in.StartDate = byEmail.ID, "2026-06-20"
	if _, err := st.Cohorts.AddCohort(ctx, in); !errors.As(err, &ve) {
		t.Fatalf("an expired coach leads a new cohort: %v", err)
	}
}

func TestKitFilesAreCheckedByHash(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	data := []byte("%PDF-1.4 worksheet")
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	if err := st.Coaches.SaveKitFile(ctx, sha, "application/pdf", []byte("tampered")); err == nil {
		t.Fatal("bytes that do not hash to the name were kept")
	}
	if have, _ := st.Coaches.HaveKitFiles(ctx, []string{sha}); have[sha] {
		t.Fatal("a refused file is held")
	}
	if err := st.Coaches.SaveKitFile(ctx, sha, "application/pdf", data); err != nil {
		t.Fatal(err)
	}
	f, err := st.Coaches.KitFileBySHA(ctx, sha)
	if err != nil || string(f.Data) != string(data) || f.MediaType != "application/pdf" {
		t.Fatalf("%+v %v", f, err)
	}
}
