package syncer

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"github.com/google/uuid"

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
	body, err := EncodeBatch(req)
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
	if _, err := EncodeBatch(bad); err == nil {
		t.Fatal("a broken payload was encoded")
	}
}
