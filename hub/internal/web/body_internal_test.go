package web

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestSizedForFrame: a zstd body whose frame says its size gets a buffer
// of that size at once and reads back whole; a size claimed beyond the
// limit, or far beyond what the body as sent could hold, is not believed;
// a body that is not zstd, or too short to hold a header, is read as it is.
func TestSizedForFrame(t *testing.T) {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Records with random ids compress a few times, as real batches do.
	rng := rand.New(rand.NewPCG(1, 2))
	var raw []byte
	for range 20000 {
		raw = fmt.Appendf(raw, `{"id":"%016x%016x","type":"pom_interview"},`, rng.Uint64(), rng.Uint64())
	}
	body := enc.EncodeAll(raw, nil)
	read := func(sent, limit int64, b []byte) ([]byte, int) {
		t.Helper()
		r, dst := sizedForFrame(bytes.NewReader(b), sent, limit, nil)
		zr, err := decompressor("zstd", r)
		if err != nil {
			return nil, cap(dst)
		}
		defer zr.Close()
		out, err := readAll(zr, limit, dst)
		if err != nil {
			t.Fatal(err)
		}
		return out, cap(dst)
	}
	if len(raw)/len(body) > maxRatio {
		t.Fatalf("the test's body compresses %d times: more than maxRatio", len(raw)/len(body))
	}
	out, capacity := read(int64(len(body)), 1<<30, body)
	if !bytes.Equal(out, raw) {
		t.Fatal("the body did not read back whole")
	}
	if capacity != len(raw)+1 {
		t.Fatalf("a frame of %d bytes got a buffer of %d", len(raw), capacity)
	}
	// Beyond the limit: not believed, and the body is still refused by
	// its length as it is read.
	if _, capacity := read(int64(len(body)), 1000, body); capacity != 0 {
		t.Fatalf("a frame beyond the limit got a buffer of %d", capacity)
	}
	// A small body claiming to be huge (a megabyte of one letter, a few
	// dozen bytes as sent) is not believed.
	var h zstd.Header
	if err := h.Decode(body); err != nil || !h.HasFCS {
		t.Fatalf("the encoder wrote no frame size: %v", err)
	}
	liar := enc.EncodeAll(bytes.Repeat([]byte("x"), 1<<20), nil)
	if _, capacity := read(int64(len(liar)), 1<<30, liar); capacity != 0 {
		t.Fatalf("a %d-byte body got a buffer of %d", len(liar), capacity)
	}
	// Not zstd, or too short for a header: read as it is.
	for _, b := range [][]byte{[]byte("{}"), nil, body[:3]} {
		r, dst := sizedForFrame(bytes.NewReader(b), int64(len(b)), 1<<20, nil)
		if cap(dst) != 0 {
			t.Fatalf("%q got a buffer of %d", b, cap(dst))
		}
		if got, _ := io.ReadAll(r); !bytes.Equal(got, b) {
			t.Fatalf("%q read back as %q", b, got)
		}
	}
}
