package cluster_test

import (
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
	metrics, err := cluster.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	h := &cluster.Hub{Bin: hubBin, DataDir: t.TempDir(), DB: dbtest.PostgresDSN(t),
		ServeArgs: []string{"--max-pushes", "1", "--push-wait", "50ms", "--metrics-addr", metrics}}
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Stop() })
	scrape := func() string {
		resp, err := http.Get("http://" + metrics + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}

	// Another site's push takes the only slot and holds it: its body
	// arrives slowly, and the hub holds the slot while it reads.
	tok, err := h.AddSite(ctx, "Holder org", "peer_run", "VA", "Holder site")
	if err != nil {
		t.Fatal(err)
	}
	var enrolled contract.EnrollResponse
	if st, err := enrollRaw(ctx, h.URL(), tok, &enrolled); err != nil || st != http.StatusOK {
		t.Fatalf("enroll: %d %v", st, err)
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.URL()+"/api/v1/sync/push", pr)
	for k, v := range map[string]string{contract.HeaderProtocol: contract.ProtocolVersion, "Authorization": "Bearer " + enrolled.Credential,
		contract.HeaderBatchSeq: "1", contract.HeaderIdempotency: uuid.NewString(), "Content-Type": "application/json"} {
		req.Header.Set(k, v)
	}
	held := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			held <- -1
			return
		}
		resp.Body.Close()
		held <- resp.StatusCode
	}()
	if _, err := io.WriteString(pw, `{"site_id":"`+enrolled.SiteID+`","records":[`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the slot taken", func() error {
		if !strings.Contains(scrape(), "iml_hub_push_slots_in_use 1") {
			return fmt.Errorf("not yet")
		}
		return nil
	})

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
	if _, err := io.WriteString(pw, `]}`); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if st := <-held; st != http.StatusOK {
		t.Fatalf("the holder's push: %d", st)
	}
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
