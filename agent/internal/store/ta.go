package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
)

// Local states of a TA request besides the hub's (contract.TAOpen …).
const (
	// TAQueued: raised here, not yet delivered to the hub.
	TAQueued = "queued"
	// TARefused: the hub refused it for good (SendError says why).
	TARefused = "refused"
)

// TARequest is a technical assistance request the site raised with the
// national office. It is site-level correspondence, not participant data:
// it never enters the outbox.
type TARequest struct {
	ID         string     `json:"id"`
	Subject    string     `json:"subject"`
	Category   string     `json:"category"`
	Body       string     `json:"text"`
	RaisedBy   string     `json:"raised_by"`
	RaisedAt   time.Time  `json:"raised_at"`
	SentAt     *time.Time `json:"sent_at"`
	SendError  string     `json:"send_error"`
	Status     string     `json:"status"`
	Answer     string     `json:"answer"`
	AnsweredBy string     `json:"answered_by"`
	AnsweredAt *time.Time `json:"answered_at"`
	AnswerSeq  int64      `json:"-"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// TARequestInput is a request as the director writes it.
type TARequestInput struct {
	Subject  string `json:"subject" form:"subject"`
	Category string `json:"category" form:"category"`
	Text     string `json:"text" form:"text"`
}

// Wire is the request as the agent sends it to the hub.
func (r TARequest) Wire() contract.TARequestWire {
	return contract.TARequestWire{ID: r.ID, Subject: r.Subject, Category: r.Category, Text: r.Body, RaisedAt: r.RaisedAt.UTC()}
}

// RaiseTARequest queues a TA request; the sync worker delivers it.
func (s *taStore) RaiseTARequest(ctx context.Context, u User, in TARequestInput) (TARequest, error) {
	now := s.st.Now()
	r := TARequest{ID: deident.NewRecordID(now), Subject: strings.TrimSpace(in.Subject), Category: in.Category,
		Body: strings.TrimSpace(in.Text), RaisedBy: u.ID, RaisedAt: now.UTC().Truncate(time.Second), Status: TAQueued, UpdatedAt: now}
	if err := contract.ValidateTARequest(r.Wire()); err != nil {
		var fe *contract.TAFieldError
		if errors.As(err, &fe) {
			return r, &ValidationError{Field: fe.Field, Msg: fe.Msg}
		}
		return r, err
	}
	if errs, err := s.identifying(ctx, map[string]string{"subject": r.Subject, "text": r.Body}); err != nil || len(errs) > 0 {
		if err != nil {
			return r, err
		}
		return r, errs
	}
	return r, s.st.DB.WithContext(ctx).Create(&r).Error
}

// identifying looks in a request's fields for what would identify or date
// a person once it leaves the site: a participant's name, contact or
// address as this site holds them, or any exact date, phone number, email
// or street address (deident.FindTrace). A request describes situations,
// not people, so such a field is refused with what was found.
func (s *taStore) identifying(ctx context.Context, fields map[string]string) (ValidationErrors, error) {
	var people []struct{ FirstName, LastName, Phone, Email, Address string }
	if err := s.st.DB.WithContext(ctx).Table("participants").Select("first_name, last_name, phone, email, address").Scan(&people).Error; err != nil {
		return nil, err
	}
	var errs ValidationErrors
	for _, field := range []string{"subject", "text"} {
		text := fields[field]
		folded, textDigits := deident.NewText(text), digits(text)
		found := ""
		for _, p := range people {
			if name, ok := folded.NamesPerson(p.FirstName, p.LastName); ok {
				found = "names \u201c" + name + "\u201d, a participant at this site"
			}
			for _, v := range []string{p.Email, p.Address} {
				if found == "" && len(v) >= 6 && folded.Contains(v) {
					found = "holds a participant's contact details"
				}
			}
			if found == "" && len(digits(p.Phone)) >= 7 && strings.Contains(textDigits, digits(p.Phone)) {
				found = "holds a participant's phone number"
			}
			if found != "" {
				break
			}
		}
		if found == "" {
			if tr, ok := deident.FindTrace(text); ok {
				found = "holds " + tr.Kind + " (\u201c" + tr.Match + "\u201d)"
			}
		}
		if found != "" {
			errs = append(errs, ValidationError{Field: field, Msg: "Leave people out of a request to the national office: this " + found +
				". Describe the situation without names, exact dates, phone numbers, emails or addresses (say \u201clast week\u201d rather than a date)."})
		}
	}
	return errs, nil
}

// digits keeps the digits of s.
func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// TARequests lists the site's TA requests, newest first.
func (s *taStore) TARequests(ctx context.Context) ([]TARequest, error) {
	var rs []TARequest
	return rs, s.st.DB.WithContext(ctx).Order("raised_at DESC, id DESC").Find(&rs).Error
}

// TARequestByID finds a TA request.
func (s *taStore) TARequestByID(ctx context.Context, id string) (TARequest, error) {
	var r TARequest
	err := s.st.DB.WithContext(ctx).First(&r, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, ErrNotFound
	}
	return r, err
}

// UnsentTARequests lists the requests waiting to be delivered, oldest first.
func (s *taStore) UnsentTARequests(ctx context.Context) ([]TARequest, error) {
	var rs []TARequest
	return rs, s.st.DB.WithContext(ctx).Where("sent_at IS NULL AND status <> ?", TARefused).Order("raised_at, id").Find(&rs).Error
}

// ResendTARequestsIfLost queues every delivered request again when the hub
// holds fewer of them than were delivered (it was restored from an older
// backup); the hub answers those it still has as duplicates. It returns how
// many were queued again.
func (s *taStore) ResendTARequestsIfLost(ctx context.Context, held int64) (int64, error) {
	var sent int64
	if err := s.st.DB.WithContext(ctx).Model(&TARequest{}).Where("sent_at IS NOT NULL").Count(&sent).Error; err != nil || sent <= held {
		return 0, err
	}
	res := s.st.DB.WithContext(ctx).Model(&TARequest{}).Where("sent_at IS NOT NULL").Update("sent_at", nil)
	return res.RowsAffected, res.Error
}

// MarkTARequestSent records that the hub acknowledged a request, with the
// status it reported. A later answer already stored is kept.
func (s *taStore) MarkTARequestSent(ctx context.Context, id, status string) error {
	now := s.st.Now()
	return s.st.DB.WithContext(ctx).Model(&TARequest{}).Where("id = ? AND sent_at IS NULL", id).
		Updates(map[string]any{"sent_at": now, "status": gorm.Expr("CASE WHEN answer_seq = 0 THEN ? ELSE status END", status), "send_error": "", "updated_at": now}).Error
}

// MarkTARequestRefused records that the hub refused a request for good; it
// is not sent again.
func (s *taStore) MarkTARequestRefused(ctx context.Context, id, reason string) error {
	return s.st.DB.WithContext(ctx).Model(&TARequest{}).Where("id = ?", id).
		Updates(map[string]any{"status": TARefused, "send_error": reason, "updated_at": s.st.Now()}).Error
}

// SaveTAAnswers stores answers and status changes from the hub's pull. An
// entry older than what is stored (a repeated pull) changes nothing; one for
// an unknown request is skipped. It returns how many requests changed.
func (s *taStore) SaveTAAnswers(ctx context.Context, as []contract.TAAnswerWire) (int, error) {
	changed := 0
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, a := range as {
			upd := map[string]any{"status": a.Status, "answer": a.Answer, "answered_by": a.AnsweredBy, "answer_seq": a.Seq, "updated_at": s.st.Now()}
			if a.AnsweredAt.IsZero() {
				upd["answered_at"] = nil
			} else {
				upd["answered_at"] = a.AnsweredAt.UTC()
			}
			switch a.Status {
			case contract.TAOpen, contract.TAAssigned, contract.TAAnswered, contract.TAClosed:
			default:
				s.st.Log.Warn("sync: TA answer with an unknown status skipped", "request", a.RequestID, "status", a.Status)
				continue
			}
			res := tx.Model(&TARequest{}).Where("id = ? AND answer_seq < ?", a.RequestID, a.Seq).Updates(upd)
			if res.Error != nil {
				return res.Error
			}
			changed += int(res.RowsAffected)
		}
		return nil
	})
	return changed, err
}
