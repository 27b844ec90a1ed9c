package webui

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// OnceField is the hidden field of a page form that makes it carried out
// once however many times it is sent (a double click, a reload of the
// answer, the same request in parallel): its value is a fresh token for
// each form shown (the template func "once").
const OnceField = "once"

// ctxRepeat marks a request Once answered as a repeat of a form carried
// out already (Repeated).
const ctxRepeat = "iml.form.repeat"

// Repeated tells a request Once answered for a form already carried out:
// nothing was done for it (an audit line says so).
func Repeated(c *gin.Context) bool { return c.GetBool(ctxRepeat) }

// OnceToken is a new form token.
func OnceToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Once remembers the form tokens of the page forms carried out (for a
// day, and at most a bounded number), in this process.
type Once struct {
	mu   sync.Mutex
	sent map[string]*sending
	ttl  time.Duration
	max  int
}

// sending is a form token's first request: done is closed when it has
// been answered, with where it sent the browser (location) and whether it
// was carried out (ok).
type sending struct {
	done     chan struct{}
	at       time.Time
	location string
	ok       bool
}

// NewOnce makes an empty memory of form tokens.
func NewOnce() *Once { return &Once{sent: map[string]*sending{}, ttl: 24 * time.Hour, max: 100_000} }

// Handler carries out a POST whose form holds a token once. A request
// with a token already sent waits for the first to be answered and is
// then sent where the first went (303), so a double click lands on the
// same page as a single one and nothing is saved twice; a first that
// answered without sending the browser elsewhere is followed by refuse
// (which must write the answer). A first that was refused (4xx or 5xx:
// nothing was saved) lets the token be sent again, as after a correction.
// Requests without a token (the API, the scripts) pass as they are.
func (o *Once) Handler(refuse func(c *gin.Context)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Method != http.MethodPost {
			c.Next()
			return
		}
		token := c.PostForm(OnceField)
		if token == "" || len(token) > 64 {
			c.Next()
			return
		}
		for {
			first, mine := o.claim(token)
			if mine {
				break
			}
			select {
			case <-first.done:
			case <-c.Request.Context().Done():
				c.Abort()
				return
			}
			if !first.ok {
				continue // refused: nothing was saved, so this one is taken
			}
			c.Set(ctxRepeat, true)
			if first.location != "" {
				c.Redirect(http.StatusSeeOther, first.location)
			} else {
				refuse(c)
			}
			c.Abort()
			return
		}
		defer o.answered(token, c)
		c.Next()
	}
}

// claim takes token for this request, or returns the request that has it.
func (o *Once) claim(token string) (*sending, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s := o.sent[token]; s != nil {
		return s, false
	}
	if len(o.sent) >= o.max {
		o.forget()
	}
	o.sent[token] = &sending{done: make(chan struct{}), at: time.Now()}
	return nil, true
}

// answered records how the first request of token was answered.
func (o *Once) answered(token string, c *gin.Context) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.sent[token]
	if s == nil {
		return
	}
	status := c.Writer.Status()
	s.ok = status < http.StatusBadRequest
	if s.ok && status >= 300 && status < 400 {
		s.location = c.Writer.Header().Get("Location")
	}
	if !s.ok {
		delete(o.sent, token)
	}
	close(s.done)
}

// forget drops the tokens older than the ttl, and when that is not
// enough a tenth of the others (a bound on memory, whatever is sent).
func (o *Once) forget() {
	now := time.Now()
	for k, s := range o.sent {
		if now.Sub(s.at) > o.ttl && isClosed(s.done) {
			delete(o.sent, k)
		}
	}
	drop := len(o.sent) - o.max*9/10
	for k, s := range o.sent {
		if drop <= 0 {
			break
		}
		if isClosed(s.done) {
			delete(o.sent, k)
			drop--
		}
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
