package syncer

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"

	gojson "github.com/goccy/go-json"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/itsmylife/iml/pkg/contract"
)

// The Content-Encodings of a push. Every hub takes gzip; hubs that say so
// in their status answer's Accept-Encoding take zstd, which costs both
// sides less CPU for a smaller body.
const (
	EncodingGzip = "gzip"
	EncodingZstd = "zstd"
)

// pushEncoding picks the push encoding from a hub's Accept-Encoding
// values: zstd if listed (and not with q=0), gzip otherwise.
func pushEncoding(accept []string) string {
	for _, v := range accept {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			if !strings.EqualFold(strings.TrimSpace(name), EncodingZstd) {
				continue
			}
			q, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
			if w, err := strconv.ParseFloat(q, 64); !found || (err == nil && w > 0) {
				return EncodingZstd
			}
		}
	}
	return EncodingGzip
}

var (
	rawBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	gzips   = sync.Pool{}
	zstds   = sync.Pool{New: func() any {
		// One goroutine, the fastest level: a batch is a few MB of
		// repetitive JSON, and the agent prepares the next one while this
		// one travels.
		e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
		if err != nil {
			panic(err)
		}
		return e
	}}
)

// EncodeBatch makes the body of a push, compressed with enc (EncodingGzip
// or EncodingZstd). It writes the JSON itself: the payloads are already
// the exact bytes that were hashed, and a general encoder would scan and
// copy every one of them again. A payload was checked to be JSON when it
// was written to the outbox (json.Marshal of its payload); here it is only
// checked to be an object, so a damaged row fails the batch here rather
// than at the hub (which refuses a body that is not JSON either way).
func EncodeBatch(req contract.PushRequest, enc string) ([]byte, error) {
	raw := rawBufs.Get().(*bytes.Buffer)
	defer rawBufs.Put(raw)
	raw.Reset()
	raw.Grow(len(req.Records) * 900)
	raw.WriteString(`{"site_id":`)
	writeJSONString(raw, req.SiteID)
	raw.WriteString(`,"records":[`)
	var num [20]byte
	for i, r := range req.Records {
		if i > 0 {
			raw.WriteByte(',')
		}
		raw.WriteString(`{"id":`)
		writeJSONString(raw, r.ID)
		raw.WriteString(`,"type":`)
		writeJSONString(raw, r.Type)
		raw.WriteString(`,"version":`)
		raw.Write(strconv.AppendInt(num[:0], r.Version, 10))
		raw.WriteString(`,"hash":`)
		writeJSONString(raw, r.Hash)
		if r.Deleted {
			raw.WriteString(`,"deleted":true`)
		} else {
			if n := len(r.Data); n < 2 || r.Data[0] != '{' || r.Data[n-1] != '}' {
				return nil, fmt.Errorf("record %s: the stored payload is not a JSON object", r.ID)
			}
			raw.WriteString(`,"data":`)
			raw.Write(r.Data)
		}
		raw.WriteByte('}')
	}
	raw.WriteString(`]}`)
	return compress(raw.Bytes(), enc)
}

// compress compresses a push body with enc.
func compress(raw []byte, enc string) ([]byte, error) {
	if enc == EncodingZstd {
		e := zstds.Get().(*zstd.Encoder)
		defer zstds.Put(e)
		return e.EncodeAll(raw, make([]byte, 0, len(raw)/4)), nil
	}
	buf := bytes.NewBuffer(make([]byte, 0, len(raw)/4))
	zw, _ := gzips.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(buf, gzip.BestSpeed)
	} else {
		zw.Reset(buf)
	}
	defer gzips.Put(zw)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeJSONString writes s as a JSON string. Ids, types and hashes are
// plain ASCII; anything else goes through the general encoder.
func writeJSONString(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := gojson.Marshal(s)
			b.Write(q)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}
