package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"slices"
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
// was carried out (ok); digest is what it carried (formDigest).
type sending struct {
	done     chan struct{}
	at       time.Time
	digest   [sha256.Size]byte
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
// (which must write the answer). A request that carries other content
// than the first (the form edited after it was sent, then sent again:
// formDigest) is not taken for a repeat: changed answers it (409, with
// where the first sent the browser, "" if nowhere), and nothing is done
// for it. A first that was refused (4xx or 5xx: nothing was saved) lets
// the token be sent again, as after a correction, whatever it carries.
// Requests without a token (the API, the scripts) pass as they are.
func (o *Once) Handler(refuse func(c *gin.Context), changed func(c *gin.Context, saved string)) gin.HandlerFunc {
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
		digest := formDigest(c)
		for {
			first, mine := o.claim(token, digest)
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
			if first.digest != digest {
				changed(c, first.location)
				c.Abort()
				return
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

// claim takes token for this request (which carries digest), or returns
// the request that has it.
func (o *Once) claim(token string, digest [sha256.Size]byte) (*sending, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s := o.sent[token]; s != nil {
		return s, false
	}
	if len(o.sent) >= o.max {
		o.forget()
	}
	o.sent[token] = &sending{done: make(chan struct{}), at: time.Now(), digest: digest}
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

// formDigest is a digest of what a posted form carries, to tell a form
// sent again as it was from one changed since: the method and address,
// every field but the token and the CSRF token (by name, sorted, each
// value in order) and, for a multipart form, each file's field, name,
// size and content. A file that cannot be read makes a digest of its own,
// unlike any other (taken for a change, never for a repeat).
func formDigest(c *gin.Context) [sha256.Size]byte {
	h := sha256.New()
	r := c.Request
	writeField(h, r.Method, r.URL.Path, r.URL.RawQuery)
	for _, k := range slices.Sorted(maps.Keys(r.PostForm)) {
		if k == OnceField || k == "csrf" {
			continue
		}
		writeField(h, append([]string{"field", k}, r.PostForm[k]...)...)
	}
	if r.MultipartForm != nil {
		for _, k := range slices.Sorted(maps.Keys(r.MultipartForm.File)) {
			for _, fh := range r.MultipartForm.File[k] {
				writeField(h, "file", k, fh.Filename)
				_ = binary.Write(h, binary.BigEndian, fh.Size)
				h.Write(fileDigest(fh))
			}
		}
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// writeField writes parts to h, each preceded by its length, with their
// number first, so that no two different lists write the same bytes.
func writeField(h hash.Hash, parts ...string) {
	_ = binary.Write(h, binary.BigEndian, uint64(len(parts)))
	for _, p := range parts {
		_ = binary.Write(h, binary.BigEndian, uint64(len(p)))
		h.Write([]byte(p))
	}
}

// fileDigest is the digest of an uploaded file's content, or random bytes
// when it cannot be read.
func fileDigest(fh *multipart.FileHeader) []byte {
	f, err := fh.Open()
	if err == nil {
		defer f.Close()
		h := sha256.New()
		if _, err = io.Copy(h, f); err == nil {
			return h.Sum(nil)
		}
	}
	b := make([]byte, sha256.Size)
	_, _ = rand.Read(b)
	return b
}
