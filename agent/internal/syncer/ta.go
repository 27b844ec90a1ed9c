package syncer

import (
	"context"
	"errors"
	"net/http"

	gojson "github.com/goccy/go-json"

	"github.com/itsmylife/iml/pkg/contract"
)

// SendTARequest delivers one TA request. Retries send the same request; the
// hub answers a repeat as a duplicate.
func (c *Client) SendTARequest(ctx context.Context, r contract.TARequestWire) (contract.TARequestResult, error) {
	body, err := gojson.Marshal(r)
	if err != nil {
		return contract.TARequestResult{}, err
	}
	var out contract.TARequestResult
	err = c.do(ctx, http.MethodPost, contract.PathTARequests, body, map[string]string{"Content-Type": "application/json"}, &out)
	return out, err
}

// final reports whether the hub refused a request for good: a 4xx other
// than 408 and 429 (retrying cannot help).
func final(err error) (string, bool) {
	var he *HubError
	if !errors.As(err, &he) {
		return "", false
	}
	st := he.Problem.Status
	if st >= 400 && st < 500 && st != http.StatusRequestTimeout && st != http.StatusTooManyRequests && st != http.StatusUnauthorized && st != http.StatusForbidden {
		return he.Problem.Detail, true
	}
	return "", false
}

// sendTARequests delivers the queued TA requests, oldest first. A request
// the hub refuses for good is marked so and not sent again; any other
// failure ends the round, and the queue waits for the next one.
func (s *Syncer) sendTARequests(ctx context.Context, c *Client) (int, error) {
	rs, err := s.St.TA.UnsentTARequests(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, r := range rs {
		res, err := c.SendTARequest(ctx, r.Wire())
		if reason, ok := final(err); ok {
			s.Log.Error("sync: the hub refused a TA request", "request", r.ID, "detail", reason)
			if err := s.St.TA.MarkTARequestRefused(ctx, r.ID, reason); err != nil {
				return sent, err
			}
			continue
		}
		if err != nil {
			return sent, err
		}
		if err := s.St.TA.MarkTARequestSent(ctx, r.ID, res.Status); err != nil {
			return sent, err
		}
		sent++
	}
	if sent > 0 {
		s.Log.Info("sync: TA requests delivered", "requests", sent)
	}
	return sent, nil
}
