// Package ratelimit bounds how often one client may do something (sign in,
// send an anonymous survey, verify a certificate): a token bucket per
// client address (golang.org/x/time/rate), kept in memory by each process,
// with a bound on how many clients it remembers.
package ratelimit

import (
	"container/list"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// DefaultMaxClients is how many clients a Limiter remembers at most.
const DefaultMaxClients = 10000

// Limiter gives each client (a key: its address) a bucket of burst
// tokens, refilled at a steady rate; a request takes a token or is
// refused. Memory stays bounded: a client idle long enough for its bucket
// to be full again is forgotten (a new bucket is the same), and beyond
// maxClients the client seen longest ago is forgotten first.
type Limiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	refill  time.Duration // the time an empty bucket takes to fill
	max     int
	clients map[string]*list.Element
	seen    *list.List // of *client, the most recently seen first
	// Now is the clock (time.Now unless a test sets it).
	Now func() time.Time
}

type client struct {
	key    string
	bucket *rate.Limiter
	seen   time.Time
}

// PerMinute is a Limiter that lets a client make n requests at once, and
// then n a minute (one every 60/n seconds). n must be at least 1.
func PerMinute(n int) *Limiter {
	if n < 1 {
		n = 1
	}
	return New(rate.Limit(float64(n)/60), n, DefaultMaxClients)
}

// New is a Limiter with buckets of burst tokens refilled at r a second,
// remembering at most maxClients clients.
func New(r rate.Limit, burst, maxClients int) *Limiter {
	if burst < 1 {
		burst = 1
	}
	if maxClients < 1 {
		maxClients = 1
	}
	return &Limiter{every: r, burst: burst, refill: time.Duration(float64(burst) / float64(r) * float64(time.Second)),
		max: maxClients, clients: map[string]*list.Element{}, seen: list.New(), Now: time.Now}
}

// Allow takes a token from key's bucket. When there is none it reports
// false and how long until there is one.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	l.forgetIdle(now)
	e, ok := l.clients[key]
	if ok {
		l.seen.MoveToFront(e)
	} else {
		if l.seen.Len() >= l.max {
			l.forget(l.seen.Back())
		}
		e = l.seen.PushFront(&client{key: key, bucket: rate.NewLimiter(l.every, l.burst)})
		l.clients[key] = e
	}
	c := e.Value.(*client)
	c.seen = now
	r := c.bucket.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Clients is how many clients the Limiter remembers now.
func (l *Limiter) Clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen.Len()
}

// forgetIdle forgets the clients not seen for as long as an empty bucket
// takes to fill: theirs is full again, as a new one would be.
func (l *Limiter) forgetIdle(now time.Time) {
	for e := l.seen.Back(); e != nil && now.Sub(e.Value.(*client).seen) >= l.refill; e = l.seen.Back() {
		l.forget(e)
	}
}

func (l *Limiter) forget(e *list.Element) {
	delete(l.clients, e.Value.(*client).key)
	l.seen.Remove(e)
}

// Seconds is a wait in whole seconds, at least 1, for Retry-After.
func Seconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// Handler lets a request through when its client (c.ClientIP()) has a
// token. Otherwise it sets Retry-After, has refuse answer (429, as a
// problem for an API or a page for a form) and stops the request.
func (l *Limiter) Handler(refuse func(c *gin.Context, retryAfter int)) gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, wait := l.Allow(c.ClientIP())
		if ok {
			c.Next()
			return
		}
		secs := Seconds(wait)
		c.Header("Retry-After", strconv.Itoa(secs))
		refuse(c, secs)
		c.Abort()
	}
}
