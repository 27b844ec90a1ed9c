package web

import (
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Request bodies are decompressed by readers kept between requests: a
// gzip reader's window and a zstd decoder's tables are made once, not for
// each push.

var (
	gzipReaders = sync.Pool{}
	zstdReaders = sync.Pool{}
)

// decompressor reads r as enc ("gzip" or "zstd"). Closing it returns it to
// its pool.
func decompressor(enc string, r io.Reader) (io.ReadCloser, error) {
	if enc == "zstd" {
		d, _ := zstdReaders.Get().(*zstd.Decoder)
		if d == nil {
			var err error
			// One goroutine per decoder, and a window no larger than a
			// body the hub takes: a frame asking for more is refused.
			if d, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(16<<20)); err != nil {
				return nil, err
			}
		}
		if err := d.Reset(r); err != nil {
			zstdReaders.Put(d)
			return nil, err
		}
		return zstdReader{d}, nil
	}
	z, _ := gzipReaders.Get().(*gzip.Reader)
	if z == nil {
		z = new(gzip.Reader)
	}
	if err := z.Reset(r); err != nil {
		gzipReaders.Put(z)
		return nil, err
	}
	return gzipReader{z}, nil
}

type gzipReader struct{ *gzip.Reader }

func (g gzipReader) Close() error {
	err := g.Reader.Close()
	gzipReaders.Put(g.Reader)
	return err
}

type zstdReader struct{ *zstd.Decoder }

func (z zstdReader) Read(p []byte) (int, error) { return z.Decoder.Read(p) }

func (z zstdReader) Close() error {
	_ = z.Decoder.Reset(nil) // lets go of the request body
	zstdReaders.Put(z.Decoder)
	return nil
}
