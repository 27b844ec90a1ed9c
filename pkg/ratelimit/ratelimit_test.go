package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/itsmylife/iml/pkg/ratelimit"
)

// clock is a Limiter's clock that moves only when the test moves it.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// A client gets its burst at once, then one request per interval; another
// client has its own bucket.
func TestBurstThenSteady(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	l := ratelimit.PerMinute(30) // 30 at once, then one every 2 s
	l.Now = clk.Now
	for i := range 30 {
		if ok, _ := l.Allow("10.0.0.1"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("10.0.0.1")
	if ok || wait <= 0 || wait > 2*time.Second {
		t.Fatalf("request 31: allowed %v, wait %v; want refused, at most 2 s", ok, wait)
	}
	if ok, _ := l.Allow("10.0.0.2"); !ok {
		t.Fatal("another client was refused")
	}
	clk.now = clk.now.Add(wait)
	if ok, _ := l.Allow("10.0.0.1"); !ok {
		t.Fatal("refused after waiting as told")
	}
	if ok, _ := l.Allow("10.0.0.1"); ok {
		t.Fatal("two requests allowed for one interval")
	}
	if got := ratelimit.Seconds(1500 * time.Millisecond); got != 2 {
		t.Fatalf("Seconds(1.5 s) = %d, want 2", got)
	}
	if got := ratelimit.Seconds(time.Millisecond); got != 1 {
		t.Fatalf("Seconds(1 ms) = %d, want 1", got)
	}
}

// Requests of one client at the same moment take the tokens one by one:
// exactly the burst gets through.
func TestParallelTakesExactlyTheBurst(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	l := ratelimit.PerMinute(20)
	l.Now = clk.Now
	var allowed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 200 {
		wg.Go(func() {
			<-start
			if ok, _ := l.Allow("10.0.0.1"); ok {
				allowed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if allowed.Load() != 20 {
		t.Fatalf("200 requests at once: %d allowed, want the burst of 20", allowed.Load())
	}
}

// The Limiter forgets clients whose bucket is full again, and never
// remembers more than its bound: a flood of addresses cannot fill memory.
func TestMemoryStaysBounded(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	l := ratelimit.New(rate.Every(time.Second), 5, 100)
	l.Now = clk.Now
	for i := range 1000 {
		l.Allow("10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256))
	}
	if n := l.Clients(); n != 100 {
		t.Fatalf("after 1000 addresses it remembers %d clients, want its bound of 100", n)
	}
	// An empty bucket fills in 5 s: after that every client is forgotten.
	clk.now = clk.now.Add(5 * time.Second)
	l.Allow("10.9.9.9")
	if n := l.Clients(); n != 1 {
		t.Fatalf("5 s later it remembers %d clients, want 1", n)
	}
	// A client forgotten while its bucket was not full would be let in
	// again: only the one seen longest ago is dropped at the bound.
	for range 5 {
		l.Allow("10.9.9.9")
	}
	for i := range 99 {
		l.Allow("10.8.0." + strconv.Itoa(i))
	}
	if ok, _ := l.Allow("10.9.9.9"); ok {
		t.Fatal("a client with an empty bucket was let in after others arrived")
	}
}

// Handler answers a refused request 429 with Retry-After, through a real
// server; the handler behind it does not run.
func TestHandler(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	l := ratelimit.PerMinute(3)
	var ran atomic.Int64
	r.POST("/login", l.Handler(func(c *gin.Context, secs int) {
		c.String(http.StatusTooManyRequests, "wait %d seconds", secs)
	}), func(c *gin.Context) { ran.Add(1); c.Status(http.StatusNoContent) })
	srv := httptest.NewServer(r)
	defer srv.Close()
	codes := map[int]int{}
	retry := ""
	for range 10 {
		resp, err := http.Post(srv.URL+"/login", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes[resp.StatusCode]++
		if resp.StatusCode == http.StatusTooManyRequests {
			retry = resp.Header.Get("Retry-After")
		}
	}
	if codes[http.StatusNoContent] != 3 || codes[http.StatusTooManyRequests] != 7 || ran.Load() != 3 {
		t.Fatalf("10 requests with a burst of 3: %v, the handler ran %d times", codes, ran.Load())
	}
	if secs, err := strconv.Atoi(retry); err != nil || secs < 1 || secs > 20 {
		t.Fatalf("Retry-After %q, want 1 to 20 seconds", retry)
	}
}
