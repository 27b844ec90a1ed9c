// Package contract is the sync contract between a site's agent and the hub.
//
// It is the only place where the wire format is defined. Both programs import
// it; neither imports the other.
//
// # Records
//
// Everything an agent sends upstream is a Record: an id the agent made
// (UUIDv7), a type from the registry below, a version that only grows, a
// content hash and either a de-identified payload or a tombstone. The payload
// types are closed structs written in one canonical form (AppendJSON: the
// struct's fields in order, no spaces, maps by sorted key, empty optional
// fields left out). The hub reads each payload in one strict pass (unknown
// fields, fields sent twice and wrong types refused), validates it,
// re-encodes it and accepts it only if that is the very bytes sent
// (ParsePayload), and checks the codes it names against the releases it
// published (CheckCodes): nothing the contract does not name, and nothing
// the hub did not validate, can reach the hub's database (see
// docs/privacy.md).
//
// # Push lifecycle
//
//  1. A change at the site and its record's outbox state are written in one
//     local transaction (transactional outbox). The outbox holds the latest
//     version of each record, flagged dirty until the hub acknowledges it.
//  2. The sync worker takes dirty records in bounded batches (MaxBatchRecords,
//     MaxBatchBytes before compression), gzips them and POSTs them to
//     PathPush with the site credential, the protocol version, an
//     Idempotency-Key naming the batch and a batch sequence number.
//  3. The hub stores the batch in one transaction, idempotently per record:
//     an unknown id or a higher version is stored; the same id, version and
//     hash is a duplicate; a lower version is stale; the same id and version
//     with another hash is a conflict, never merged. It commits, then answers
//     each record's fate and the highest batch sequence it holds for the
//     site. An agent that asks for it (HeaderPushAnswer) gets only the
//     fates other than stored and duplicate, with counts: the common
//     answer, everything stored, is then a few bytes instead of a line per
//     record. This is an extension within protocol 1: a hub that does not
//     know the header answers in full, and an agent reads either form
//     (ExpandResults).
//  4. Only after that answer does the agent mark the records clean, and only
//     those whose version did not change meanwhile. A crash or a lost answer
//     anywhere means the batch is sent again, which the per-record rules make
//     harmless: at most one batch is ever sent twice. A stale or conflicting
//     record means the agent lost history (its database was restored from
//     a backup); being the record's only writer, it resends its content as
//     the version after the hub's.
//
// # Restored hubs
//
// The hub keeps, per site, the highest batch sequence it has committed, and a
// generation id, made when its database is created and changed by
// `hub generation rotate`. Each sync round starts with PathStatus. If the hub's
// generation differs from the one the agent last saw, the agent marks every
// record dirty; if only the site's batch sequence is lower than the agent's
// last acknowledged batch (a database restored from an older backup by other
// means), it marks dirty the records acknowledged in later batches. Either
// way the next rounds resend exactly what the hub lost, and the idempotent
// storage absorbs anything sent twice.
//
// # Pull
//
// Central program content (instruments, theme schedule, skills, survey
// statements, stipend policy) travels as versioned, immutable releases. The
// agent asks PathPull for what changed since its cursor, stores the newest
// release it is offered and names the release it runs in HeaderRelease on
// every request, so the hub can show who is behind. A release names the
// files it attaches (worksheets, handouts, handbooks) by their SHA-256; the
// agent fetches each it does not hold from PathFiles + hash with its site
// credential and keeps the bytes only if they hash to that name. Retired
// releases are no longer offered.
//
// The same pull answers the certifications of the site's organization
// changed after the cursor's certification sequence (CertificationWire),
// whole and in sequence order; the agent applies each to its coach with
// that verification code.
//
// # Errors
//
// Every refusal is application/problem+json with a stable type URI (see
// ProblemType*). Requests with another protocol major version are refused
// with 400 (type ProblemProtocol) before the body is read. 4xx answers other than 408 and 429 are
// final: the agent does not retry them.
package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// ProtocolVersion is the version of this contract. A hub refuses any other.
const ProtocolVersion = "1"

// HTTP headers of the contract.
const (
	HeaderProtocol    = "IML-Protocol"
	HeaderRelease     = "IML-Release"
	HeaderBatchSeq    = "IML-Batch-Seq"
	HeaderIdempotency = "Idempotency-Key"
	// HeaderPushAnswer on a push asks for a shorter answer: with the value
	// PushAnswerExceptions the hub lists only the records it did not
	// acknowledge (see PushResponse). A hub that does not know the header
	// answers in full, which an agent that sends it must still read.
	HeaderPushAnswer = "IML-Push-Answer"
)

// PushAnswerExceptions is the value of HeaderPushAnswer that asks for the
// exceptions only.
const PushAnswerExceptions = "exceptions"

// Paths served by the hub.
const (
	PathEnroll = "/api/v1/sync/enroll"
	PathStatus = "/api/v1/sync/status"
	PathPush   = "/api/v1/sync/push"
	PathPull   = "/api/v1/sync/pull"
	// PathFiles + a file's SHA-256 answers the bytes of a file a release
	// attaches.
	PathFiles = "/api/v1/sync/files/"
)

// MaxPullCertifications bounds the certifications of one pull answer; the
// agent asks again from the new cursor while the answer is full.
const MaxPullCertifications = 500

// Batch bounds. The hub refuses anything larger.
const (
	MaxBatchRecords = 5000
	// MaxBatchBytes bounds the uncompressed JSON body of a push.
	MaxBatchBytes = 8 << 20
	// MaxRecordBytes bounds one record's payload.
	MaxRecordBytes = 16 << 10
)

// Batch sequence bounds (HeaderBatchSeq). The hub accepts a push's
// sequence number only from 1 to MaxBatchSeq and at most MaxBatchSeqStep
// above the highest one it holds for the site; an agent keeps its own
// counter within the same bounds and never adopts a number beyond
// MaxBatchSeq from a hub. MaxBatchSeq is 2^53 - 1: exact in every JSON
// reader, and far from int64 overflow however a number near it is used.
const (
	MaxBatchSeq     = 1<<53 - 1
	MaxBatchSeqStep = 1 << 20
)

// Record versions are bounded the same way: a record's version is from 1
// to MaxVersion, and a hub refuses a version more than MaxVersionStep above
// the one it holds for the record (fate conflict, with hub_version, so the
// agent answers with the version after the hub's). A version a site was
// never going to reach cannot then leave the record, or the agent that
// re-versions it, past what the contract can carry.
const (
	MaxVersion     = MaxBatchSeq
	MaxVersionStep = MaxBatchSeqStep
)

// Fate is what the hub did with one pushed record.
type Fate string

// The fates of a pushed record.
const (
	FateStored    Fate = "stored"    // new id or higher version: stored
	FateDuplicate Fate = "duplicate" // same id, version and hash: nothing to do
	FateStale     Fate = "stale"     // lower version than the hub holds: ignored
	FateConflict  Fate = "conflict"  // same id and version, another hash: refused
	// FateRejected: the payload is well formed but names a release, an
	// indicator or a statement the hub never published. Nothing of it is
	// stored; Detail names the field. The agent keeps the record back until
	// it changes (or the hub's generation does), like any refused version.
	FateRejected Fate = "rejected"
)

// Acknowledged reports whether the hub now holds exactly this version.
// Stale and conflict are not: the hub holds another version (HubVersion).
// A site is the only writer of its records, so its agent answers them by
// sending its current content again as version HubVersion+1 (this happens
// after the agent's own database was restored from an older backup).
func (f Fate) Acknowledged() bool {
	return f == FateStored || f == FateDuplicate
}

// Record is one de-identified record on the wire.
type Record struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Version int64  `json:"version"`
	Hash    string `json:"hash"`
	Deleted bool   `json:"deleted,omitempty"`
	// Data is the payload, absent for a tombstone. It is kept as the exact
	// bytes the agent hashed.
	Data RawJSON `json:"data,omitempty"`
}

// RawJSON is a JSON value kept verbatim.
type RawJSON []byte

// MarshalJSON returns the bytes verbatim (or null).
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// UnmarshalJSON keeps a copy of the bytes.
func (r *RawJSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = nil
		return nil
	}
	*r = append((*r)[:0], b...)
	return nil
}

// HashRecord is the content hash of a record: SHA-256 over its type, its
// tombstone flag and its payload bytes.
func HashRecord(typ string, deleted bool, data []byte) string {
	sum := hashRecord(typ, deleted, data)
	return string(sum[:])
}

// hashRecord is HashRecord without allocating the result.
func hashRecord(typ string, deleted bool, data []byte) (out [2 * sha256.Size]byte) {
	h := sha256.New()
	h.Write([]byte(typ))
	if deleted {
		h.Write([]byte{0, 1, 0})
	} else {
		h.Write([]byte{0, 0, 0})
		h.Write(data)
	}
	var sum [sha256.Size]byte
	hex.Encode(out[:], h.Sum(sum[:0]))
	return out
}

// PushRequest is the body of a push.
type PushRequest struct {
	SiteID  string   `json:"site_id"`
	Records []Record `json:"records"`
}

// RecordResult is the fate of one pushed record.
type RecordResult struct {
	// Index is the record's position in the batch, given in an answer
	// that lists exceptions only (0 is then omitted, like any index in a
	// full answer, where the position is the result's own).
	Index   int    `json:"index,omitempty"`
	ID      string `json:"id"`
	Version int64  `json:"version"`
	Fate    Fate   `json:"fate"`
	Detail  string `json:"detail,omitempty"`
	// HubVersion is the version the hub holds, for stale and conflict.
	HubVersion int64 `json:"hub_version,omitempty"`
}

// PushResponse is the hub's answer to a push, sent after it committed.
//
// In full (the default), Results holds one result per record in the order
// sent. When the push asked for it (HeaderPushAnswer) and Exceptions says
// the hub did so, Results holds only the records whose fate is neither
// stored nor duplicate, in batch order, each with its Index; every other
// record of the batch is acknowledged. Either way Acknowledged counts the
// records the hub now holds in exactly the version sent and Stored those
// of them it stored with this batch (hubs before these counts send 0).
type PushResponse struct {
	Generation   string         `json:"generation"`
	SiteSeq      int64          `json:"site_seq"`
	Acknowledged int            `json:"acknowledged"`
	Stored       int            `json:"stored"`
	Exceptions   bool           `json:"exceptions,omitempty"`
	Results      []RecordResult `json:"results"`
}

// ExpandResults checks an answer against the batch it answers and returns
// one result per record in batch order, whichever form the hub answered
// in. Records an exceptions-only answer leaves out come back as
// FateStored, acknowledged (the answer does not tell stored from
// duplicate per record; its Stored count does). An answer that does not
// line up with the batch is an error.
func ExpandResults(resp PushResponse, batch []Record) ([]RecordResult, error) {
	if !resp.Exceptions {
		if len(resp.Results) != len(batch) {
			return nil, fmt.Errorf("the hub answered %d fates for %d records", len(resp.Results), len(batch))
		}
		for i, r := range resp.Results {
			if r.ID != batch[i].ID || r.Version != batch[i].Version {
				return nil, fmt.Errorf("the hub's answer %d names %s v%d, not the record sent", i, r.ID, r.Version)
			}
		}
		return resp.Results, nil
	}
	if resp.Acknowledged+len(resp.Results) != len(batch) {
		return nil, fmt.Errorf("the hub acknowledged %d and listed %d of %d records", resp.Acknowledged, len(resp.Results), len(batch))
	}
	out := make([]RecordResult, len(batch))
	for i, r := range batch {
		out[i] = RecordResult{ID: r.ID, Version: r.Version, Fate: FateStored}
	}
	last := -1
	for _, r := range resp.Results {
		switch {
		case r.Index <= last || r.Index >= len(batch):
			return nil, fmt.Errorf("the hub's answer names record %d out of order or range", r.Index)
		case r.ID != batch[r.Index].ID || r.Version != batch[r.Index].Version:
			return nil, fmt.Errorf("the hub's answer for record %d names %s v%d, not the record sent", r.Index, r.ID, r.Version)
		case r.Fate.Acknowledged():
			return nil, fmt.Errorf("the hub's answer lists record %d as an exception with fate %s", r.Index, r.Fate)
		}
		last = r.Index
		out[r.Index] = r
		out[r.Index].Index = 0
	}
	return out, nil
}

// StatusResponse tells an agent what the hub holds for its site.
type StatusResponse struct {
	Generation string    `json:"generation"`
	SiteID     string    `json:"site_id"`
	SiteSeq    int64     `json:"site_seq"`
	Release    string    `json:"latest_release"`
	ServerTime time.Time `json:"server_time"`
	// TARequests is how many of the site's TA requests the hub holds; an
	// agent that delivered more (the hub was restored from an older backup)
	// sends them again.
	TARequests int64 `json:"ta_requests"`
}

// EnrollRequest exchanges a one-time enrollment token for a site credential.
// An agent that already holds a site's data names that site: the hub then
// refuses, without spending it, a token issued for another site.
type EnrollRequest struct {
	Token  string `json:"token"`
	SiteID string `json:"site_id,omitempty"`
}

// EnrollResponse carries the site credential. The hub keeps only its hash.
type EnrollResponse struct {
	SiteID     string `json:"site_id"`
	SiteName   string `json:"site_name"`
	OrgName    string `json:"org_name"`
	Credential string `json:"credential"`
	Generation string `json:"generation"`
}

// PullResponse lists central content changed since the agent's cursor
// (see PullCursor): releases, the certifications of the site's
// organization, and answers to the site's TA requests. Lists are never
// null; an agent stores what it received, then the cursor.
type PullResponse struct {
	Generation     string              `json:"generation"`
	Cursor         string              `json:"cursor"`
	Releases       []ReleaseWire       `json:"releases"`
	Certifications []CertificationWire `json:"certifications"`
	TAAnswers      []TAAnswerWire      `json:"ta_answers"`
}

// ReleaseWire is one published release of central program content.
type ReleaseWire struct {
	Version     string    `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	SHA256      string    `json:"sha256"`
	Content     RawJSON   `json:"content"`
}
