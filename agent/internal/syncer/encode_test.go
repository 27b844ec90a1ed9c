package syncer

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"

	"github.com/itsmylife/iml/pkg/contract"
)

// The hand-written encoder must produce what encoding/json reads back as
// the same request, for payloads, tombstones and strings needing escapes.
func TestEncodeBatchRoundTrip(t *testing.T) {
	rec, err := contract.NewRecord(uuid.NewString(), contract.TypeParticipant, 3, contract.Participant{Key: uuid.NewString(), EnrollmentYear: 2025, AgeBand: "90+"})
	if err != nil {
		t.Fatal(err)
	}
	req := contract.PushRequest{SiteID: "site \"quoted\" \\ é\n", Records: []contract.Record{rec, contract.NewTombstone(uuid.NewString(), contract.TypePOMInterview, 2)}}
	body, err := EncodeBatch(req, EncodingGzip)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	var got contract.PushRequest
	if err := json.Unmarshal(plain, &got); err != nil {
		t.Fatalf("%v: %s", err, plain)
	}
	if !reflect.DeepEqual(got, req) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, req)
	}
	bad := contract.PushRequest{Records: []contract.Record{{ID: "x", Type: "t", Version: 1, Data: contract.RawJSON(`{"a":`)}}}
	if _, err := EncodeBatch(bad, EncodingGzip); err == nil {
		t.Fatal("a broken payload was encoded")
	}
}

// A zstd body holds the same JSON as a gzip one.
func TestEncodeBatchZstd(t *testing.T) {
	rec, err := contract.NewRecord(uuid.NewString(), contract.TypeParticipant, 1, contract.Participant{Key: uuid.NewString(), EnrollmentYear: 2025, AgeBand: "90+"})
	if err != nil {
		t.Fatal(err)
	}
	req := contract.PushRequest{SiteID: uuid.NewString(), Records: []contract.Record{rec}}
	gzBody, err := EncodeBatch(req, EncodingGzip)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gzBody))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := io.ReadAll(zr)
	body, err := EncodeBatch(req, EncodingZstd)
	if err != nil {
		t.Fatal(err)
	}
	d, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := d.DecodeAll(body, nil)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("zstd body %q (%v), gzip body %q", got, err, want)
	}
}

// An agent sends zstd only to a hub that lists it; any other hub (older
// ones send no Accept-Encoding) gets gzip.
func TestPushEncoding(t *testing.T) {
	for accept, want := range map[string]string{
		"": EncodingGzip, "gzip": EncodingGzip, "zstd, gzip": EncodingZstd, "gzip,zstd": EncodingZstd, "ZSTD": EncodingZstd,
		"zstd;q=0": EncodingGzip, "zstd; q=0.0, gzip": EncodingGzip, "zstd;q=0.5": EncodingZstd, "zstdx": EncodingGzip,
	} {
		if got := pushEncoding([]string{accept}); got != want {
			t.Errorf("Accept-Encoding %q: %s, want %s", accept, got, want)
		}
	}
	if got := pushEncoding(nil); got != EncodingGzip {
		t.Errorf("no Accept-Encoding: %s", got)
	}
}
