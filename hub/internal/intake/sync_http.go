package intake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

func (s *Handlers) Enroll(c *gin.Context) {
	var req contract.EnrollRequest
	if !s.ReadJSON(c, 64<<10, &req) {
		return
	}
	if strings.TrimSpace(req.Token) == "" {
		problem.Write(c, problem.Validation("The enrollment token is required.", problem.FieldError{Field: "token", Detail: "is required"}))
		return
	}
	if req.SiteID != "" && !contract.ValidID(req.SiteID) {
		problem.Write(c, problem.Validation("site_id must be the id of the site this agent holds data for.", problem.FieldError{Field: "site_id", Detail: "Choose a site from the list"}))
		return
	}
	site, org, cred, err := s.intake.Enroll(c.Request.Context(), strings.TrimSpace(req.Token), req.SiteID)
	switch {
	case errors.Is(err, ErrWrongSite):
		problem.Write(c, problem.New(http.StatusConflict, problem.TypeConflict, "This agent holds the data of another site than the one this token was issued for. The token was not used; ask for a token for this agent's own site."))
		return
	case errors.Is(err, store.ErrTokenInvalid):
		problem.Write(c, problem.New(http.StatusUnauthorized, problem.TypeTokenInvalid, "The enrollment token is unknown, already used or expired. Ask the national office for a new one."))
		return
	case errors.Is(err, store.ErrRevoked):
		problem.Write(c, problem.New(http.StatusForbidden, problem.TypeSiteRevoked, "This site has been revoked at the hub."))
		return
	case err != nil:
		s.Respond(c, err)
		return
	}
	gen, err := s.St.Generation(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.Log.Info("site enrolled", "site", site.ID, "org", org.ID)
	c.Set(web.CtxSiteID, site.ID) // the audit log names the site that enrolled
	c.JSON(http.StatusOK, contract.EnrollResponse{SiteID: site.ID, SiteName: site.Name, OrgName: org.Name, Credential: cred, Generation: gen})
}

func (s *Handlers) Status(c *gin.Context) {
	site := c.MustGet(web.CtxSite).(store.Site)
	ctx := c.Request.Context()
	if err := s.intake.TouchSite(ctx, site.ID, c.GetHeader(contract.HeaderRelease)); err != nil {
		s.Respond(c, err)
		return
	}
	gen, err := s.St.Generation(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	rel, err := s.St.LatestRelease(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	held, err := s.ta.CountTARequests(ctx, site.ID)
	if err != nil {
		s.Respond(c, err)
		return
	}
	if site.BatchSeq < 0 || site.BatchSeq > contract.MaxBatchSeq {
		// Left by a hub that took any number: never hand it to an agent.
		was := site.BatchSeq
		if site.BatchSeq, err = s.intake.RepairBatchSeq(ctx, site.ID); err != nil {
			s.Respond(c, err)
			return
		}
		s.Log.Warn("site batch sequence out of range: set back so the site resends its records once", "site", site.ID, "was", was, "now", site.BatchSeq)
	}
	// The encodings a push may be sent in (RFC 7694): newer agents
	// compress with zstd when they see it, others keep to gzip.
	c.Header("Accept-Encoding", web.AcceptEncoding)
	c.JSON(http.StatusOK, contract.StatusResponse{Generation: gen, SiteID: site.ID, SiteSeq: site.BatchSeq, Release: rel.Version, ServerTime: s.St.Now(), TARequests: held})
}

func (s *Handlers) Push(c *gin.Context) {
	s.pushing.Add(1)
	defer func() {
		s.lastPush.Store(time.Now().UnixNano())
		s.pushing.Add(-1)
	}()
	site := c.MustGet(web.CtxSite).(store.Site)
	seq, key, req, release, ok := s.readPush(c, site)
	if !ok {
		return
	}
	// The payloads are slices of the body: its buffer is kept for the next
	// push once this one no longer reads them (the check below is waited
	// for on every path).
	defer release()
	// The records are validated while the database writes them; the
	// transaction commits only if every record is valid. Whatever the
	// database said, an invalid batch is answered as such. Records whose
	// codes this hub never published are rejected one by one: the write is
	// then rolled back and done again without them (rare: a hostile agent,
	// or a hub restored from before a release it published).
	ctx := c.Request.Context()
	checked := make(chan verdict, 1)
	go func() { checked <- s.validateRecords(ctx, req.Records) }()
	var v verdict
	waited := false
	wait := func() verdict {
		if !waited {
			v, waited = <-checked, true
		}
		return v
	}
	results, siteSeq, err := s.intake.Push(ctx, site.ID, seq, req.Records, func() error {
		switch v := wait(); {
		case v.err != nil || len(v.ferrs) > 0:
			return errInvalidBatch
		case len(v.rejected) > 0:
			return errRejectedRecords
		}
		return nil
	})
	switch v := wait(); {
	case v.err != nil:
		s.Respond(c, v.err)
		return
	case len(v.ferrs) > 0:
		problem.Write(c, problem.Validation(fmt.Sprintf("%d or more records are invalid; nothing in the batch was stored.", len(v.ferrs)), v.ferrs...))
		return
	case errors.Is(err, errRejectedRecords):
		results, siteSeq, err = s.pushAccepted(c, site.ID, seq, req.Records, v.rejected)
	}
	if errors.Is(err, ErrForeignRecord) {
		s.Log.Warn("push refused: record ids of another site", "site", site.ID)
		problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, "The batch holds record ids that belong to another site; nothing was stored."))
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	if rel := c.GetHeader(contract.HeaderRelease); rel != "" && rel != site.Release {
		_ = s.intake.TouchSite(c.Request.Context(), site.ID, rel)
	}
	s.wake()
	gen, err := s.St.Generation(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	if s.OnFates != nil {
		fates := map[contract.Fate]int{}
		for _, r := range results {
			fates[r.Fate]++
		}
		s.OnFates(fates)
	}
	resp := countFates(contract.PushResponse{Generation: gen, SiteSeq: siteSeq, Results: results}, c.GetHeader(contract.HeaderPushAnswer) == contract.PushAnswerExceptions)
	s.Log.Info("push", "site", site.ID, "batch", key, "seq", seq, "records", len(results), "stored", resp.Stored)
	web.WriteJSON(c, http.StatusOK, resp)
}

// readPush reads a push's batch sequence, idempotency key and records,
// or answers why it cannot. The records' payloads are slices of a pooled
// body buffer: release returns it, once nothing reads them.
func (s *Handlers) readPush(c *gin.Context, site store.Site) (seq int64, key string, req contract.PushRequest, release func(), ok bool) {
	seq, p := batchSeq(c.Request.Header.Values(contract.HeaderBatchSeq), site.BatchSeq)
	if p != nil {
		s.Log.Warn("push refused: batch sequence", "site", site.ID, "held", site.BatchSeq)
		problem.Write(c, p)
		return 0, "", req, nil, false
	}
	key = c.GetHeader(contract.HeaderIdempotency)
	if !contract.ValidID(key) {
		problem.Write(c, problem.New(http.StatusBadRequest, problem.TypeBadRequest, "Header "+contract.HeaderIdempotency+" must be a UUID naming the batch."))
		return 0, "", req, nil, false
	}
	body, release, ok := s.ReadBodyPooled(c, contract.MaxBatchBytes)
	if !ok {
		return 0, "", req, nil, false
	}
	// One strict pass over the body; the payloads stay where they are in it.
	req, err := contract.DecodePushRequest(body)
	var refusal *problem.Problem
	switch {
	case err != nil:
		refusal = problem.New(http.StatusBadRequest, problem.TypeBadRequest, "The body is not valid JSON for this request: "+err.Error())
	case req.SiteID != site.ID:
		s.Log.Warn("push refused: records of another site", "site", site.ID)
		refusal = problem.New(http.StatusForbidden, problem.TypeForbidden, "The batch names another site than the credential's. A site can only send its own records.")
	case len(req.Records) > contract.MaxBatchRecords:
		refusal = problem.New(http.StatusRequestEntityTooLarge, problem.TypeTooLarge, fmt.Sprintf("A batch holds at most %d records; this one holds %d.", contract.MaxBatchRecords, len(req.Records)))
	}
	if refusal != nil {
		release()
		problem.Write(c, refusal)
		return 0, "", req, nil, false
	}
	return seq, key, req, release, true
}

// countFates counts the stored and acknowledged records of a push's
// answer; with exceptionsOnly the answer lists only the records that were
// neither, by their index in the batch.
func countFates(resp contract.PushResponse, exceptionsOnly bool) contract.PushResponse {
	results := resp.Results
	if exceptionsOnly {
		resp.Exceptions, resp.Results = true, make([]contract.RecordResult, 0)
	}
	for i, r := range results {
		switch {
		case r.Fate == contract.FateStored:
			resp.Stored++
			resp.Acknowledged++
		case r.Fate.Acknowledged():
			resp.Acknowledged++
		case exceptionsOnly:
			r.Index = i
			resp.Results = append(resp.Results, r)
		}
	}
	return resp
}

var (
	errInvalidBatch    = errors.New("the batch holds invalid records")
	errRejectedRecords = errors.New("the batch holds records with codes the hub never published")
)

// batchSeq reads a push's IML-Batch-Seq: one value, a decimal number from
// 1 to contract.MaxBatchSeq and at most contract.MaxBatchSeqStep above held,
// the highest sequence the hub holds for the site (taken as 0 when it is
// itself out of range). Anything else is refused before the body is read,
// so nothing of the batch is stored and the site's watermark stays put.
func batchSeq(values []string, held int64) (int64, *problem.Problem) {
	refuse := func(detail string) (int64, *problem.Problem) {
		return 0, problem.New(http.StatusBadRequest, problem.TypeBatchSeq, "Header "+contract.HeaderBatchSeq+" "+detail)
	}
	switch {
	case len(values) == 0 || values[0] == "":
		return refuse("is required: the batch's sequence number.")
	case len(values) > 1:
		return refuse("must be given once.")
	}
	v := values[0]
	if len(v) > 16 || strings.Trim(v, "0123456789") != "" {
		return refuse(fmt.Sprintf("must be a whole number from 1 to %d.", int64(contract.MaxBatchSeq)))
	}
	seq, err := strconv.ParseInt(v, 10, 64)
	if err != nil || seq < 1 || seq > contract.MaxBatchSeq {
		return refuse(fmt.Sprintf("must be a whole number from 1 to %d.", int64(contract.MaxBatchSeq)))
	}
	if held < 0 || held > contract.MaxBatchSeq {
		held = 0
	}
	if seq-held > contract.MaxBatchSeqStep {
		return refuse(fmt.Sprintf("is %d, more than %d above the last batch the hub holds for this site (%d). Sync again: the agent numbers its batches from the hub's status.",
			seq, contract.MaxBatchSeqStep, held))
	}
	return seq, nil
}

// verdict is the check of a batch: field errors that refuse the whole
// batch, or records rejected one by one (by index, with the reason), or
// the error of looking up the releases.
type verdict struct {
	ferrs    []problem.FieldError
	rejected map[int]string
	err      error
}

// validateRecords checks every record of a batch, on all cores: its
// envelope, hash and payload (contract.CheckRecord), then the codes it
// names against the releases this hub published. It returns at most 20
// field errors in record order.
func (s *Handlers) validateRecords(ctx context.Context, recs []contract.Record) verdict {
	errs := make([]error, len(recs))
	payloads := make([]contract.Payload, len(recs))
	workers := min(runtime.GOMAXPROCS(0), 1+len(recs)/500)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(recs); i += workers {
				p, err := contract.CheckRecord(recs[i])
				if err == nil {
					err = storableText(recs[i].Data)
				}
				payloads[i], errs[i] = p, err
			}
		}(w)
	}
	wg.Wait()
	var v verdict
	seen := make(map[string]bool, len(recs))
	for i, r := range recs {
		err := errs[i]
		if err == nil && seen[r.ID] {
			err = errors.New("the same id appears twice in the batch")
		}
		seen[r.ID] = true
		if err != nil {
			v.ferrs = append(v.ferrs, problem.FieldError{Field: fmt.Sprintf("records[%d]", i), Detail: err.Error()})
			if len(v.ferrs) == 20 {
				break
			}
		}
	}
	if len(v.ferrs) > 0 {
		return v
	}
	// Releases are few: each is looked up once per batch.
	releases := map[string]contract.ReleaseCodes{}
	lookup := func(version string) (contract.ReleaseCodes, bool) {
		if rc, ok := releases[version]; ok {
			return rc, rc.Indicators != nil
		}
		rc, ok, err := s.St.ReleaseCodes(ctx, version)
		if err != nil && v.err == nil {
			v.err = err
		}
		releases[version] = rc
		return rc, ok
	}
	for i, p := range payloads {
		if p == nil {
			continue
		}
		if err := contract.CheckCodes(p.Codes(), lookup); err != nil {
			if v.rejected == nil {
				v.rejected = map[int]string{}
			}
			v.rejected[i] = err.Error()
		}
	}
	if v.err != nil {
		v.rejected = nil
	}
	return v
}

// pushAccepted stores a batch without its rejected records and answers a
// fate for every record in batch order.
func (s *Handlers) pushAccepted(c *gin.Context, siteID string, seq int64, recs []contract.Record, rejected map[int]string) ([]contract.RecordResult, int64, error) {
	keep := make([]contract.Record, 0, len(recs)-len(rejected))
	for i, r := range recs {
		if _, ok := rejected[i]; !ok {
			keep = append(keep, r)
		}
	}
	stored, siteSeq, err := s.intake.Push(c.Request.Context(), siteID, seq, keep, nil)
	if err != nil {
		return nil, 0, err
	}
	s.Log.Warn("push: records rejected for codes this hub never published", "site", siteID, "rejected", len(rejected))
	results := make([]contract.RecordResult, 0, len(recs))
	for i, r := range recs {
		if why, ok := rejected[i]; ok {
			results = append(results, contract.RecordResult{ID: r.ID, Version: r.Version, Fate: contract.FateRejected, Detail: why})
			continue
		}
		results = append(results, stored[0])
		stored = stored[1:]
	}
	return results, siteSeq, nil
}

func (s *Handlers) Pull(c *gin.Context) {
	ctx := c.Request.Context()
	cur, err := contract.ParsePullCursor(c.Query("cursor"))
	if err != nil {
		problem.Write(c, problem.Validation("The cursor is not one this hub gave out.", problem.FieldError{Field: "cursor", Detail: "must be a cursor from an earlier pull"}))
		return
	}
	rels, err := s.St.ReleasesAfter(ctx, cur.Releases)
	if err != nil {
		s.Respond(c, err)
		return
	}
	gen, err := s.St.Generation(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	resp := contract.PullResponse{Generation: gen, Releases: []contract.ReleaseWire{},
		Certifications: []contract.CertificationWire{}, TAAnswers: []contract.TAAnswerWire{}}
	for _, r := range rels {
		resp.Releases = append(resp.Releases, contract.ReleaseWire{Version: r.Version, PublishedAt: r.PublishedAt, SHA256: r.SHA256, Content: contract.RawJSON(r.Content)})
		cur.Releases = r.Seq
	}
	site := c.MustGet(web.CtxSite).(store.Site)
	// Certifications of the site's organization changed after the cursor.
	certs, err := s.training.CertificationsAfter(ctx, site.OrgID, cur.Certifications, contract.MaxPullCertifications)
	if err != nil {
		s.Respond(c, err)
		return
	}
	resp.Certifications = certs
	for _, ce := range certs {
		cur.Certifications = ce.Seq
	}
	if resp.TAAnswers, err = s.answers.TAAnswers(c, site.ID, &cur); err != nil {
		s.Respond(c, err)
		return
	}
	resp.Cursor = cur.String()
	web.WriteJSON(c, http.StatusOK, resp)
}
