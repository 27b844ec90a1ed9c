package ratelimit

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// Gate bounds how many requests of one kind a process works on at once
// (pushes, which each hold a database connection for their batch). A
// request waits for a slot at most MaxWait; past that it is turned away at
// once with a Retry-After, instead of queueing behind the others until its
// client gives up: under a surge the hub answers every client quickly,
// either with work done or with when to come back.
type Gate struct {
	slots   chan struct{}
	maxWait time.Duration
	retry   time.Duration

	admitted, refused atomic.Int64
	waiting           atomic.Int64
}

// NewGate makes a gate of n slots (n ≥ 1). A refused request is told to
// come back after a time drawn between retry and twice retry, so that the
// clients refused together do not all come back together.
func NewGate(n int, maxWait, retry time.Duration) *Gate {
	if n < 1 {
		n = 1
	}
	if retry < time.Second {
		retry = time.Second
	}
	return &Gate{slots: make(chan struct{}, n), maxWait: maxWait, retry: retry}
}

// Enter takes a slot, waiting at most the gate's MaxWait (and no longer
// than ctx allows). It returns the function that gives the slot back, or
// ok false when none came free in time.
func (g *Gate) Enter(ctx context.Context) (leave func(), ok bool) {
	select {
	case g.slots <- struct{}{}:
	default:
		g.waiting.Add(1)
		t := time.NewTimer(g.maxWait)
		select {
		case g.slots <- struct{}{}:
			g.waiting.Add(-1)
			t.Stop()
		case <-t.C:
			g.waiting.Add(-1)
			g.refused.Add(1)
			return nil, false
		case <-ctx.Done():
			g.waiting.Add(-1)
			t.Stop()
			g.refused.Add(1)
			return nil, false
		}
	}
	g.admitted.Add(1)
	return func() { <-g.slots }, true
}

// RetryAfter is the number of seconds a refused client is told to wait:
// between retry and twice retry, drawn afresh each time.
func (g *Gate) RetryAfter() int {
	d := g.retry + rand.N(g.retry+1) //nolint:gosec // G404: jitter to spread retries, not a secret
	return int((d + time.Second - 1) / time.Second)
}

// Stats are a gate's counts since it was made, and its present state.
type Stats struct {
	Admitted, Refused int64 // requests let in, and turned away
	InUse, Waiting    int   // slots taken, and requests waiting now
	Slots             int
}

// Stats returns the gate's counts.
func (g *Gate) Stats() Stats {
	return Stats{Admitted: g.admitted.Load(), Refused: g.refused.Load(), InUse: len(g.slots), Waiting: int(g.waiting.Load()), Slots: cap(g.slots)}
}

// Handler lets a request through the gate, or answers it with refuse
// (which must write the answer) after setting Retry-After.
func (g *Gate) Handler(refuse func(c *gin.Context, retryAfter int)) gin.HandlerFunc {
	return Lanes(g, nil, nil, refuse)
}

// Lanes lets a request through the gate all, and a request that isLarge
// says is large (a resend, a first sync) first through the narrower gate
// large: large requests can then never take every slot of all, and the
// small ones keep slots however many large ones come. A large request
// waits for both slots together at most large's MaxWait. A request that
// gets no slot in time is answered with refuse (which must write the
// answer) after setting Retry-After. large nil: one lane.
func Lanes(all, large *Gate, isLarge func(*http.Request) bool, refuse func(c *gin.Context, retryAfter int)) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, gates := c.Request.Context(), []*Gate{all}
		if large != nil && isLarge(c.Request) {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, large.maxWait)
			defer cancel()
			gates = []*Gate{large, all}
		}
		var leaves []func()
		defer func() {
			for _, leave := range leaves {
				leave()
			}
		}()
		for _, g := range gates {
			leave, ok := g.Enter(ctx)
			if !ok {
				secs := g.RetryAfter()
				c.Header("Retry-After", strconv.Itoa(secs))
				refuse(c, secs)
				c.Abort()
				return
			}
			leaves = append(leaves, leave)
		}
		c.Next()
	}
}
