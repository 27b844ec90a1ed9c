package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/problem"
)

// TestEnrollWithOlderTokens: through the enroll endpoint, a token stops
// enrolling once a newer one is issued, and a token issued before a
// revocation enrolls neither while the site is revoked nor after it is
// reinstated; a fresh token sent many times at once enrolls exactly once.
func TestEnrollWithOlderTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		h := newHub(t, dsn)
		ctx := context.Background()
		site, cred := h.site("Epoch Street", nil)
		issue := func() string {
			t.Helper()
			tok, err := intake.New(h.st).IssueEnrollmentToken(ctx, site.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		hdr := with(syncHeaders(""), "Content-Type", "application/json")
		enroll := func(t *testing.T, tok string) (*answer, []byte) {
			t.Helper()
			return h.do(t, request{method: http.MethodPost, path: contract.PathEnroll, header: hdr, body: mustJSON(t, contract.EnrollRequest{Token: tok})})
		}
		credential := func() string {
			got, err := h.st.FindSite(ctx, site.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.CredentialHash
		}

		older, newer := issue(), issue()
		before := credential()
		resp, b := enroll(t, older)
		wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeTokenInvalid)
		if credential() != before {
			t.Fatal("an older token changed the site's credential")
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: contract.PathStatus, header: syncHeaders(cred)})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the site's credential stopped working after a refused token: %d %s", resp.StatusCode, b)
		}

		if _, err := intake.New(h.st).RevokeSite(ctx, site.ID, "laptop stolen"); err != nil {
			t.Fatal(err)
		}
		resp, b = enroll(t, newer)
		wantProblem(t, resp, b, http.StatusForbidden, problem.TypeSiteRevoked)
		if _, err := intake.New(h.st).ReinstateSite(ctx, site.ID); err != nil {
			t.Fatal(err)
		}
		for name, tok := range map[string]string{"issued before the revocation": newer, "replaced before the revocation": older} {
			resp, b = enroll(t, tok)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("a token %s after the reinstatement: %d %s", name, resp.StatusCode, b)
			}
			wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeTokenInvalid)
		}
		if credential() != "" {
			t.Fatal("a token from before the revocation enrolled the reinstated site")
		}

		// Sixteen agents send the fresh token at once.
		fresh := issue()
		body, _ := json.Marshal(contract.EnrollRequest{Token: fresh})
		const racers = 16
		statuses := make([]int, racers)
		creds := make([]string, racers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				req, _ := http.NewRequest(http.MethodPost, h.srv.URL+contract.PathEnroll, bytes.NewReader(body))
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				resp, err := h.client.Do(req)
				if err != nil {
					statuses[i] = -1
					return
				}
				defer resp.Body.Close()
				statuses[i] = resp.StatusCode
				var er contract.EnrollResponse
				if b, _ := io.ReadAll(resp.Body); resp.StatusCode == http.StatusOK && json.Unmarshal(b, &er) == nil {
					creds[i] = er.Credential
				}
			}(i)
		}
		close(start)
		wg.Wait()
		won := ""
		for i, st := range statuses {
			switch st {
			case http.StatusOK:
				if won != "" {
					t.Fatalf("the same token enrolled twice: %v", statuses)
				}
				won = creds[i]
			case http.StatusUnauthorized:
			default:
				t.Fatalf("racer %d answered %d: %v", i, st, statuses)
			}
		}
		if won == "" {
			t.Fatalf("no racer enrolled: %v", statuses)
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: contract.PathStatus, header: syncHeaders(won)})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the winner's credential: %d %s", resp.StatusCode, b)
		}
	})
}
