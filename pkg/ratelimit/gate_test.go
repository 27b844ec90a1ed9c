package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/ratelimit"
)

// TestGateBoundsWork: many requests at once against a gate of 3 slots; no
// more than 3 are ever worked on together, those turned away are told when
// to come back, and every request is either done or refused.
func TestGateBoundsWork(t *testing.T) {
	gin.SetMode(gin.TestMode)
	g := ratelimit.NewGate(3, 20*time.Millisecond, 2*time.Second)
	release := make(chan struct{})
	var inside, most atomic.Int64
	r := gin.New()
	r.POST("/push", g.Handler(func(c *gin.Context, secs int) {
		c.String(http.StatusServiceUnavailable, "busy")
	}), func(c *gin.Context) {
		n := inside.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		inside.Add(-1)
		c.String(http.StatusOK, "done")
	})

	const clients = 40
	codes := make([]int, clients)
	retry := make([]string, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/push", nil))
			codes[i], retry[i] = w.Code, w.Header().Get("Retry-After")
		}()
	}
	// Wait (with a deadline) until the gate is full and everyone else was
	// turned away, then let the three through.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := g.Stats()
		if st.InUse == 3 && st.Refused == clients-3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gate never settled: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()

	done, refused := 0, 0
	for i, c := range codes {
		switch c {
		case http.StatusOK:
			done++
		case http.StatusServiceUnavailable:
			refused++
			secs, err := strconv.Atoi(retry[i])
			if err != nil || secs < 2 || secs > 4 {
				t.Errorf("refused request told Retry-After %q, want 2 to 4 seconds", retry[i])
			}
		default:
			t.Errorf("status %d", c)
		}
	}
	if done != 3 || refused != clients-3 || most.Load() != 3 {
		t.Fatalf("done %d, refused %d, at most %d inside at once; want 3, %d, 3", done, refused, most.Load(), clients-3)
	}
	if st := g.Stats(); st.InUse != 0 || st.Waiting != 0 || st.Admitted != 3 {
		t.Errorf("after: %+v", st)
	}
}

// TestGateWaitsForASlot: a request that finds the gate full gets the slot
// given back within its wait, and one whose client went away stops waiting.
func TestGateWaitsForASlot(t *testing.T) {
	g := ratelimit.NewGate(1, time.Minute, time.Second)
	leave, ok := g.Enter(context.Background())
	if !ok {
		t.Fatal("empty gate refused")
	}
	got := make(chan bool)
	go func() {
		l, ok := g.Enter(context.Background())
		if ok {
			l()
		}
		got <- ok
	}()
	deadline := time.Now().Add(10 * time.Second)
	for g.Stats().Waiting != 1 {
		if time.Now().After(deadline) {
			t.Fatal("second request never waited")
		}
		time.Sleep(time.Millisecond)
	}
	leave()
	if !<-got {
		t.Fatal("a waiting request was refused though a slot came free")
	}

	leave, _ = g.Enter(context.Background())
	defer leave()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := g.Enter(ctx); ok {
		t.Fatal("a request whose client went away got a slot of a full gate")
	}
	if st := g.Stats(); st.Refused != 1 || st.Waiting != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestLanesKeepSlotsForSmall: with 4 slots in all and 2 for large
// requests, many large requests at once hold 2 slots at most and the rest
// are turned away with a Retry-After, while small requests still get
// through at once; once the large ones end, every slot is free again.
func TestLanesKeepSlotsForSmall(t *testing.T) {
	gin.SetMode(gin.TestMode)
	all := ratelimit.NewGate(4, 20*time.Millisecond, 2*time.Second)
	large := ratelimit.NewGate(2, 20*time.Millisecond, 2*time.Second)
	release := make(chan struct{})
	var largeInside, mostLarge atomic.Int64
	r := gin.New()
	r.POST("/push", ratelimit.Lanes(all, large, func(req *http.Request) bool { return req.URL.Query().Get("size") == "large" },
		func(c *gin.Context, secs int) { c.String(http.StatusServiceUnavailable, "busy") }),
		func(c *gin.Context) {
			if c.Query("size") == "large" {
				n := largeInside.Add(1)
				for m := mostLarge.Load(); n > m && !mostLarge.CompareAndSwap(m, n); m = mostLarge.Load() {
				}
				<-release
				largeInside.Add(-1)
			}
			c.String(http.StatusOK, "done")
		})
	send := func(size string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/push?size="+size, nil))
		return w
	}

	const bulk = 12
	codes := make([]int, bulk)
	retry := make([]string, bulk)
	var wg sync.WaitGroup
	for i := range bulk {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := send("large")
			codes[i], retry[i] = w.Code, w.Header().Get("Retry-After")
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for st := large.Stats(); st.InUse != 2 || st.Refused != bulk-2; st = large.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("the large lane never settled: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
	for i := range 5 {
		if w := send("small"); w.Code != http.StatusOK {
			t.Fatalf("small request %d while the large lane is full: %d %s", i, w.Code, w.Body)
		}
	}
	if st := all.Stats(); st.InUse != 2 || st.Refused != 0 {
		t.Errorf("the gate of all after the small requests: %+v, want 2 in use (the large ones) and none refused", st)
	}
	close(release)
	wg.Wait()
	ok := 0
	for i, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusServiceUnavailable:
			if secs, err := strconv.Atoi(retry[i]); err != nil || secs < 2 || secs > 4 {
				t.Errorf("refused large request told Retry-After %q", retry[i])
			}
		default:
			t.Errorf("large request answered %d", c)
		}
	}
	if ok != 2 || mostLarge.Load() != 2 {
		t.Errorf("%d large requests done, at most %d at once; want 2 and 2", ok, mostLarge.Load())
	}
	if st := all.Stats(); st.InUse != 0 {
		t.Errorf("slots still taken after every request ended: %+v", st)
	}
	if st := large.Stats(); st.InUse != 0 {
		t.Errorf("large slots still taken after every request ended: %+v", st)
	}
}
