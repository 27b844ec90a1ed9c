package web

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	gojson "github.com/goccy/go-json"
	"github.com/klauspost/compress/zstd"

	"github.com/itsmylife/iml/pkg/jsonx"
	"github.com/itsmylife/iml/pkg/problem"
)

// ReadBody reads a request body, decompressing it when it says so (see
// AcceptEncoding), and refuses anything above limit bytes once
// decompressed.
func (s *Base) ReadBody(c *gin.Context, limit int64) ([]byte, bool) {
	return s.readBody(c, limit, nil)
}

// ReadBodyPooled is ReadBody into a buffer kept for the next request: the
// caller calls release once nothing refers to the body any more (not even
// the strings or slices decoded from it without a copy).
func (s *Base) ReadBodyPooled(c *gin.Context, limit int64) (body []byte, release func(), ok bool) {
	buf := bodyBufs.Get().(*[]byte)
	body, ok = s.readBody(c, limit, (*buf)[:0])
	release = func() {
		if cap(body) <= maxPooledBody {
			*buf = body[:0]
			bodyBufs.Put(buf)
		}
	}
	if !ok {
		release()
		return nil, func() {}, false
	}
	return body, release, true
}

// maxPooledBody bounds the buffers kept between requests.
const maxPooledBody = 16 << 20

var bodyBufs = sync.Pool{New: func() any { b := []byte(nil); return &b }}

// AcceptEncoding lists the request encodings ReadBody reads, for the
// Accept-Encoding header of an answer (RFC 7694): an agent that sees zstd
// there compresses its pushes with it, anything else keeps to gzip.
const AcceptEncoding = "zstd, gzip"

func (s *Base) readBody(c *gin.Context, limit int64, dst []byte) ([]byte, bool) {
	ct := c.ContentType()
	if _, params, err := mime.ParseMediaType(c.GetHeader("Content-Type")); ct != "application/json" || err != nil ||
		(params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
		problem.Write(c, problem.New(http.StatusUnsupportedMediaType, problem.TypeUnsupportedMedia, "Send the body as application/json in UTF-8."))
		return nil, false
	}
	var r io.Reader = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	switch enc := c.GetHeader("Content-Encoding"); enc {
	case "", "identity":
		if n := c.Request.ContentLength; n > 0 && n <= limit && cap(dst) < int(n)+1 {
			dst = make([]byte, 0, n+1) // +1: the read that sees the end
		}
	case "gzip", "zstd":
		if enc == "zstd" {
			r, dst = sizedForFrame(r, c.Request.ContentLength, limit, dst)
		}
		zr, err := decompressor(enc, r)
		if err != nil && problem.ClientGone(c, err) {
			problem.Gone(c, s.Log, err)
			return nil, false
		}
		if err != nil {
			problem.Write(c, problem.New(http.StatusBadRequest, problem.TypeBadRequest, "The body says it is "+enc+" but is not."))
			return nil, false
		}
		defer zr.Close()
		r = zr
	default:
		c.Header("Accept-Encoding", AcceptEncoding)
		problem.Write(c, problem.New(http.StatusUnsupportedMediaType, problem.TypeUnsupportedMedia, "Content-Encoding must be gzip, zstd or absent."))
		return nil, false
	}
	body, err := readAll(r, limit, dst)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || int64(len(body)) > limit {
		problem.Write(c, problem.New(http.StatusRequestEntityTooLarge, problem.TypeTooLarge, fmt.Sprintf("The body is larger than %d bytes. Send smaller batches.", limit)))
		return nil, false
	}
	if err != nil && problem.ClientGone(c, err) {
		// The client went away mid-body: its mistake is not the hub's,
		// and nobody reads an answer.
		problem.Gone(c, s.Log, err)
		return nil, false
	}
	if err != nil {
		problem.Write(c, problem.New(http.StatusBadRequest, problem.TypeBadRequest, "The body could not be read: "+err.Error()))
		return nil, false
	}
	return body, true
}

// sizedForFrame reads the header of a zstd body's first frame ahead and,
// when it says how large the frame is once decompressed, makes dst that
// large at once instead of growing it as the body arrives (a batch of
// 5,000 records is a few MB: growing from 64 KiB copied it six times). The
// size is only believed up to limit and up to maxRatio times the body as
// sent, so a small body that claims to be huge costs nothing; a body
// larger than it said is still refused by its limit as it is read.
func sizedForFrame(r io.Reader, sent, limit int64, dst []byte) (io.Reader, []byte) {
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(zstd.HeaderMaxSize)
	var h zstd.Header
	if h.Decode(head) != nil || !h.HasFCS || sent <= 0 {
		return br, dst
	}
	if n := int64(h.FrameContentSize); n <= limit && n <= sent*maxRatio && cap(dst) < int(n)+1 {
		dst = make([]byte, 0, n+1) // +1: the read that sees the end
	}
	return br, dst
}

// maxRatio bounds how many times larger than its body as sent a zstd
// body may say it is for sizedForFrame to believe it (JSON batches
// compress 5 to 15 times).
const maxRatio = 64

// readAll reads r to its end into dst, at most limit+1 bytes (one more
// than allowed, so the caller sees the body is too large), growing dst
// only when it is full.
func readAll(r io.Reader, limit int64, dst []byte) ([]byte, error) {
	if cap(dst) == 0 {
		dst = make([]byte, 0, 64<<10)
	}
	for {
		if len(dst) == cap(dst) {
			if int64(len(dst)) > limit {
				return dst, nil
			}
			dst = append(dst, 0)[:len(dst)]
		}
		room := dst[len(dst):min(cap(dst), int(limit)+1)]
		n, err := r.Read(room)
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
		if int64(len(dst)) > limit {
			return dst, nil
		}
	}
}

// ReadJSON reads a strict JSON body into v (see jsonx: a field sent twice
// or unknown is refused).
func (s *Base) ReadJSON(c *gin.Context, limit int64, v any) bool {
	body, ok := s.ReadBody(c, limit)
	if !ok {
		return false
	}
	var te *jsonx.TextError
	var ne *jsonx.NumberError
	err := jsonx.Unmarshal(body, v)
	switch {
	case errors.As(err, &te):
		problem.Write(c, problem.UncleanText(te.Field))
		return false
	case errors.As(err, &ne):
		// A number a whole-number field cannot hold is a mistake in the
		// field, as a number out of its range is.
		problem.Write(c, problem.FromInvalid(&problem.Invalid{Field: ne.Field, Msg: ne.Msg}))
		return false
	case err != nil:
		problem.Write(c, problem.New(http.StatusBadRequest, problem.TypeBadRequest, "The body is not valid JSON for this request: "+err.Error()))
		return false
	}
	return true
}

// WriteJSON answers JSON, gzipped when the client accepts it.
func WriteJSON(c *gin.Context, status int, v any) {
	b, err := gojson.Marshal(v)
	if err != nil {
		panic(err)
	}
	c.Header("Content-Type", "application/json")
	if len(b) > 1024 && strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		c.Header("Content-Encoding", "gzip")
		c.Header("Vary", "Accept-Encoding")
		c.Status(status)
		zw, _ := gzip.NewWriterLevel(c.Writer, gzip.BestSpeed)
		_, _ = zw.Write(b)
		_ = zw.Close()
		return
	}
	c.Data(status, "application/json", b)
}

// Views shows each item of a list through its view.
func Views[T any](items []T, view func(T) gin.H) []gin.H {
	out := make([]gin.H, len(items))
	for i, it := range items {
		out[i] = view(it)
	}
	return out
}

// ListJSON answers a list, each item through its view, or the failure to
// read it.
func ListJSON[T any](s *Base, c *gin.Context, items []T, err error, view func(T) gin.H) {
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.JSON(http.StatusOK, Views(items, view))
}
