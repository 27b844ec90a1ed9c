package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// TestBackPressure: a hub that works on one push at once (--max-pushes 1)
// and lets a push wait 50 ms for the slot turns an agent's push away with
// 503 and a Retry-After while another site's push holds the slot; the
// agent waits as told and sends again, and once the slot is free every
// record arrives, exactly once. The hub's metrics count the push turned
// away and every record by fate; the agent's show its outbox emptied.
func TestBackPressure(t *testing.T) {
	ctx := context.Background()
	h, scrape := gatedHub(t, "--max-pushes", "1", "--push-wait", "50ms")

	// Another site's push takes the only slot and holds it: its body
	// arrives slowly, and the hub holds the slot while it reads.
	release := holdPush(t, h, "Holder", scrape, "iml_hub_push_slots_in_use 1")

	// The agent syncs meanwhile: turned away, it waits and sends again.
	a := enrolledAgent(t, h, h.URL(), "Waiting site")
	if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "8", "--seed", "5"); err != nil {
		t.Fatal(err)
	}
	sync, err := cluster.Start("agent sync", agentBin, []string{"sync", "--data-dir", a.DataDir, "--log-level", "info"}, nil, filepath.Join(a.DataDir, "sync.log"))
	if err != nil {
		t.Fatal(err)
	}
	busy := regexp.MustCompile(`iml_hub_pushes_total\{result="busy"\} (\d+)`)
	waitFor(t, 60*time.Second, "the agent's push turned away", func() error {
		if m := busy.FindStringSubmatch(scrape()); m == nil || m[1] == "0" {
			return fmt.Errorf("no busy answer yet")
		}
		return nil
	})
	// Free the slot: the holder's batch ends (empty, so nothing of it).
	release()
	if err := sync.Wait(); err != nil {
		t.Fatalf("agent sync after being turned away: %v\n%s", err, sync.Log())
	}
	if !strings.Contains(sync.Log(), "503") && !strings.Contains(strings.ToLower(sync.Log()), "retry") {
		t.Errorf("the agent's log does not show the retry:\n%s", sync.Log())
	}
	n := assertHubHoldsExactly(t, h, a)
	text := scrape()
	stored := regexp.MustCompile(`iml_hub_records_total\{fate="stored"\} (\d+)`).FindStringSubmatch(text)
	if stored == nil || stored[1] != strconv.Itoa(n) {
		t.Errorf("records stored by the metrics %v, the hub holds %d", stored, n)
	}
	for _, want := range []string{`iml_hub_pushes_total{result="ok"}`, `iml_http_requests_total{code="503",method="POST",program="hub",route="/api/v1/sync/push"}`, "iml_hub_site_last_sync_timestamp_seconds{site=", "iml_hub_sites_enrolled 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// gatedHub starts a hub on PostgreSQL with args and its metrics on an
// address of their own, and returns it with a function that reads them.
func gatedHub(t *testing.T, args ...string) (*cluster.Hub, func() string) {
	t.Helper()
	metrics, err := cluster.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	h := &cluster.Hub{Bin: hubBin, DataDir: t.TempDir(), DB: dbtest.PostgresDSN(t), ServeArgs: append(args, "--metrics-addr", metrics)}
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Stop() })
	return h, func() string {
		resp, err := http.Get("http://" + metrics + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
}

// TestBulkPushesLeaveSlots: a hub of two push slots, one at most for bulk
// pushes. While one site's bulk push holds that slot, another site's bulk
// push (a resend of 70 KiB) is turned away with 503 and a Retry-After, and
// an agent's small daily sync goes through without ever being turned
// away, every record exactly once. Once the first ends, the resend is
// taken.
func TestBulkPushesLeaveSlots(t *testing.T) {
	ctx := context.Background()
	h, scrape := gatedHub(t, "--max-pushes", "2", "--max-bulk-pushes", "1", "--push-wait", "50ms")
	release := holdPush(t, h, "Resending", scrape, "iml_hub_push_bulk_slots_in_use 1")

	tok, err := h.AddSite(ctx, "Second org", "church", "VA", "Second site")
	if err != nil {
		t.Fatal(err)
	}
	var second contract.EnrollResponse
	if st, err := enrollRaw(ctx, h.URL(), tok, &second); err != nil || st != http.StatusOK {
		t.Fatalf("enroll: %d %v", st, err)
	}
	// An empty batch padded past the bulk bound: the gate goes by size.
	resend := []byte(`{"site_id":"` + second.SiteID + `","records":[]}` + strings.Repeat(" ", 70<<10))
	pushResend := func() (int, string) {
		resp, err := http.DefaultClient.Do(pushRequest(ctx, h.URL(), second.Credential, bytes.NewReader(resend)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	if st, retry := pushResend(); st != http.StatusServiceUnavailable {
		t.Fatalf("a second bulk push while the bulk slot is held: %d, want 503", st)
	} else if secs, err := strconv.Atoi(retry); err != nil || secs < 1 {
		t.Errorf("the resend turned away was told Retry-After %q", retry)
	}

	a := enrolledAgent(t, h, h.URL(), "Daily site")
	if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "2", "--seed", "3"); err != nil {
		t.Fatal(err)
	}
	if out, err := a.CLI(ctx, "", "sync", "--log-level", "info"); err != nil {
		t.Fatalf("the small sync while a bulk push holds its slot: %v\n%s", err, out)
	} else if strings.Contains(out, "503") || strings.Contains(strings.ToLower(out), "retry") {
		t.Errorf("the small sync was turned away:\n%s", out)
	}
	assertHubHoldsExactly(t, h, a)
	if m := regexp.MustCompile(`iml_hub_pushes_total\{result="busy"\} (\d+)`).FindStringSubmatch(scrape()); m == nil || m[1] != "1" {
		t.Errorf("pushes turned away by the metrics: %v, want the one resend", m)
	}

	release()
	if st, _ := pushResend(); st != http.StatusOK {
		t.Errorf("the resend once the bulk slot is free: %d, want 200", st)
	}
}

// holdPush enrolls a site named name and starts a push of it whose body
// (of no stated length, so a bulk push) arrives slowly: the hub holds its
// slots while it reads. It returns once the hub's metrics (scrape) show
// held, and gives back the function that ends the body (an empty batch)
// and checks the push was answered 200.
func holdPush(t *testing.T, h *cluster.Hub, name string, scrape func() string, held string) (release func()) {
	t.Helper()
	ctx := context.Background()
	tok, err := h.AddSite(ctx, name+" org", "peer_run", "VA", name+" site")
	if err != nil {
		t.Fatal(err)
	}
	var enrolled contract.EnrollResponse
	if st, err := enrollRaw(ctx, h.URL(), tok, &enrolled); err != nil || st != http.StatusOK {
		t.Fatalf("enroll: %d %v", st, err)
	}
	pr, pw := io.Pipe()
	req := pushRequest(ctx, h.URL(), enrolled.Credential, pr)
	done := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	if _, err := io.WriteString(pw, `{"site_id":"`+enrolled.SiteID+`","records":[`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the slot taken", func() error {
		if !strings.Contains(scrape(), held) {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	return func() {
		if _, err := io.WriteString(pw, `]}`); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		if st := <-done; st != http.StatusOK {
			t.Fatalf("the holder's push: %d", st)
		}
	}
}

// pushRequest is a push of the site whose credential is cred, with body.
func pushRequest(ctx context.Context, hubURL, cred string, body io.Reader) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hubURL+"/api/v1/sync/push", body)
	for k, v := range map[string]string{contract.HeaderProtocol: contract.ProtocolVersion, "Authorization": "Bearer " + cred,
		contract.HeaderBatchSeq: "1", contract.HeaderIdempotency: uuid.NewString(), "Content-Type": "application/json"} {
		req.Header.Set(k, v)
	}
	return req
}

// enrollRaw exchanges an enrollment token for a site credential over the
// sync API.
func enrollRaw(ctx context.Context, hubURL, token string, out *contract.EnrollResponse) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hubURL+contract.PathEnroll, strings.NewReader(`{"token":"`+token+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(contract.HeaderProtocol, contract.ProtocolVersion)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
}
