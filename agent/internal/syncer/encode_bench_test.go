package syncer

import (
	"bytes"
	"io"
	"testing"

	"github.com/google/uuid"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/contract/contracttest"
)

// BenchmarkEncodeBatch encodes a full batch of POM interviews in each
// push encoding, and decodes it as the hub does, so the two sides' costs
// of an encoding can be weighed together.
func BenchmarkEncodeBatch(b *testing.B) {
	recs := contracttest.Interviews(contract.MaxBatchRecords)
	req := contract.PushRequest{SiteID: uuid.NewString(), Records: recs}
	for _, enc := range []string{EncodingGzip, EncodingZstd} {
		var body []byte
		b.Run("encode/"+enc, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var err error
				if body, err = EncodeBatch(req, enc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(body)), "body-bytes")
		})
		b.Run("decode/"+enc, func(b *testing.B) {
			b.ReportAllocs()
			dst := make([]byte, 0, 8<<20)
			zd, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
			defer zd.Close()
			var zr gzip.Reader
			for i := 0; i < b.N; i++ {
				var r io.Reader
				if enc == EncodingZstd {
					if err := zd.Reset(bytes.NewReader(body)); err != nil {
						b.Fatal(err)
					}
					r = zd
				} else {
					if err := zr.Reset(bytes.NewReader(body)); err != nil {
						b.Fatal(err)
					}
					r = &zr
				}
				buf := bytes.NewBuffer(dst[:0])
				if _, err := buf.ReadFrom(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
