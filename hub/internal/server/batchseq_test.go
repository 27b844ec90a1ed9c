package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/problem"
)

// TestHostileBatchSeq: a push whose IML-Batch-Seq is huge, negative, not
// a number, given twice, or too far above what the hub holds is refused
// with 400 batch-seq before anything is stored, alone or many at once; a
// watermark an older hub stored out of range is set back by the status
// call, never handed to the agent.
func TestHostileBatchSeq(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		h := newHub(t, dsn)
		site, cred := h.site("Seq Street", nil)
		resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: pushHeaders(cred, 1), body: gz(t, batch(t, site.ID, interview(t, newID(), 1, true)))})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("setup push: %d %s", resp.StatusCode, b)
		}
		// push sends a fresh valid record with the given IML-Batch-Seq
		// values (none: no header; several: the header repeated).
		push := func(values ...string) (int, problem.Problem, error) {
			req, _ := http.NewRequest(http.MethodPost, h.srv.URL+contract.PathPush, bytes.NewReader(gz(t, batch(t, site.ID, interview(t, newID(), 1, true)))))
			for k, v := range pushHeaders(cred, 1) {
				req.Header.Set(k, v)
			}
			req.Header.Del(contract.HeaderBatchSeq)
			for _, v := range values {
				req.Header.Add(contract.HeaderBatchSeq, v)
			}
			resp, err := h.client.Do(req)
			if err != nil {
				return 0, problem.Problem{}, err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var p problem.Problem
			if resp.Header.Get("Content-Type") == problem.ContentType {
				_ = json.Unmarshal(body, &p)
			}
			return resp.StatusCode, p, nil
		}
		step := int64(contract.MaxBatchSeqStep)
		hostile := [][]string{
			{strconv.FormatInt(math.MaxInt64, 10)},
			{"9223372036854775808"},
			{strconv.FormatInt(contract.MaxBatchSeq, 10)},
			{strconv.FormatInt(contract.MaxBatchSeq+1, 10)},
			{strconv.FormatInt(2+step, 10)}, // one past the step above the 1 held
			{"-1"}, {strconv.FormatInt(math.MinInt64, 10)}, {"0"}, {"-0"},
			{"seven"}, {"1e3"}, {"+5"}, {"5 5"}, {"0x10"}, {"5;6"}, {"１２"}, {"00000000000000000000001"},
			{}, {""}, {"2", "3"}, {"2", "2"}, {"2, 3"},
		}
		check := func(t *testing.T, values []string, status int, p problem.Problem, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%q: %v", values, err)
			}
			if status != http.StatusBadRequest || p.Type != problem.TypeBatchSeq || p.Detail == "" {
				t.Errorf("%q: %d %+v, want 400 %s", values, status, p, problem.TypeBatchSeq)
			}
		}
		before := h.snapshot(t)
		for _, v := range hostile {
			status, p, err := push(v...)
			check(t, v, status, p, err)
		}
		h.wantUnchanged(t, before)

		// Many at once.
		var wg sync.WaitGroup
		type result struct {
			status int
			p      problem.Problem
			err    error
		}
		results := make([]result, 4*len(hostile))
		for i := range results {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				s, p, err := push(hostile[i%len(hostile)]...)
				results[i] = result{s, p, err}
			}(i)
		}
		wg.Wait()
		for i, r := range results {
			check(t, hostile[i%len(hostile)], r.status, r.p, r.err)
		}
		h.wantUnchanged(t, before)

		// The step above what the hub holds is accepted, and counts from
		// the new watermark.
		if status, p, err := push(strconv.FormatInt(1+step, 10)); err != nil || status != http.StatusOK {
			t.Fatalf("a push at the step: %d %+v %v", status, p, err)
		}
		if got := h.batchSeqs(t)[site.ID]; got != 1+step {
			t.Fatalf("batch_seq %d, want %d", got, 1+step)
		}
		if status, p, err := push(strconv.FormatInt(2+2*step, 10)); err != nil || status != http.StatusBadRequest || p.Type != problem.TypeBatchSeq {
			t.Fatalf("past the step from the new watermark: %d %+v %v", status, p, err)
		}

		// A watermark left out of range by an older hub is set back at the
		// status call: the agent is never told it.
		if err := h.st.DB.Exec("UPDATE sites SET batch_seq = ? WHERE id = ?", int64(math.MaxInt64), site.ID).Error; err != nil {
			t.Fatal(err)
		}
		var st contract.StatusResponse
		resp, b = h.do(t, request{method: http.MethodGet, path: contract.PathStatus, header: syncHeaders(cred)})
		wantJSON(t, resp, b, &st)
		if st.SiteSeq != 0 || h.batchSeqs(t)[site.ID] != 0 {
			t.Fatalf("status says %d, the hub holds %d: want the watermark set back to 0", st.SiteSeq, h.batchSeqs(t)[site.ID])
		}
		if status, p, err := push("1"); err != nil || status != http.StatusOK {
			t.Fatalf("a push from 1 after the repair: %d %+v %v", status, p, err)
		}
	})
}
