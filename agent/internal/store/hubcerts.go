package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/itsmylife/iml/pkg/contract"
)

// HubCertification is a certification of the site's organization as the
// hub last sent it.
type HubCertification struct {
	Code          string `gorm:"primaryKey"`
	Seq           int64
	CoachName     string
	CoachEmail    string
	Status        string
	IssuedOn      string
	ExpiresOn     string
	RevokedReason string
	Modules       string
	ReceivedAt    time.Time
}

// KitFile is a file a release attaches, kept under its SHA-256.
type KitFile struct {
	SHA256     string `gorm:"column:sha256;primaryKey"`
	MediaType  string
	Size       int64
	Data       []byte
	ReceivedAt time.Time
}

// ExpiryWarnDays is how many days ahead the coaches page says a
// certification expires soon.
const ExpiryWarnDays = 60

// ExpiresSoon reports whether a current certification expires within days.
func (c Coach) ExpiresSoon(day time.Time, days int) bool {
	until, ok := parseDate(c.CertifiedUntil)
	return ok && c.CertifiedOn(day) && !until.After(day.AddDate(0, 0, days))
}

// NormalizeCertCode reads a verification code as people type it.
func NormalizeCertCode(code string) string {
	return strings.ToUpper(strings.Join(strings.Fields(code), ""))
}

// ValidHubCertification checks a certification from the hub is usable.
func ValidHubCertification(w contract.CertificationWire) error {
	if w.Code == "" || len(w.Code) > 60 || NormalizeCertCode(w.Code) != w.Code {
		return fmt.Errorf("certification code %q is malformed", w.Code)
	}
	if _, ok := parseDate(w.ExpiresOn); !ok {
		return fmt.Errorf("certification %s has no expiry date", w.Code)
	}
	switch w.Status {
	case contract.CertCurrent, contract.CertExpired, contract.CertRevoked:
	default:
		return fmt.Errorf("certification %s has status %q", w.Code, w.Status)
	}
	return nil
}

func (h HubCertification) certification() Certification {
	return Certification{Code: h.Code, CertifiedUntil: h.ExpiresOn, Revoked: h.Status == contract.CertRevoked}
}

// ApplyHubCertifications stores certifications the hub sent (each checked
// with ValidHubCertification) and records each on its coach with source
// "hub": the coach holding its code, or else the one coach with its email
// who holds no other current hub certification. It returns how many
// coaches it updated.
func (s *coachStore) ApplyHubCertifications(ctx context.Context, certs []contract.CertificationWire) (int, error) {
	updated := 0
	for _, w := range certs {
		mods, _ := json.Marshal(w.Modules)
		h := HubCertification{Code: w.Code, Seq: w.Seq, CoachName: w.CoachName, CoachEmail: strings.ToLower(strings.TrimSpace(w.CoachEmail)), Status: w.Status,
			IssuedOn: w.IssuedOn, ExpiresOn: w.ExpiresOn, RevokedReason: w.RevokedReason, Modules: string(mods), ReceivedAt: s.st.Now()}
		if err := s.st.DB.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&h).Error; err != nil {
			return updated, err
		}
		coach, ok, err := s.coachFor(ctx, h)
		if err != nil {
			return updated, err
		}
		if !ok {
			continue
		}
		if _, err := s.RecordCertification(ctx, coach.ID, "hub", h.certification()); err != nil {
			return updated, err
		}
		updated++
	}
	return updated, nil
}

// coachFor finds the coach a hub certification belongs to.
func (s *coachStore) coachFor(ctx context.Context, h HubCertification) (Coach, bool, error) {
	var cs []Coach
	if err := s.st.DB.WithContext(ctx).Where("cert_code = ?", h.Code).Limit(1).Find(&cs).Error; err != nil {
		return Coach{}, false, err
	}
	if len(cs) == 1 {
		return cs[0], true, nil
	}
	if h.CoachEmail == "" || h.Status != contract.CertCurrent {
		return Coach{}, false, nil
	}
	if err := s.st.DB.WithContext(ctx).Where("lower(email) = ?", h.CoachEmail).Limit(2).Find(&cs).Error; err != nil {
		return Coach{}, false, err
	}
	if len(cs) != 1 {
		return Coach{}, false, nil
	}
	if c := cs[0]; c.CertSource == "hub" && c.CertCode != h.Code && c.CertifiedOn(s.st.Now()) {
		return Coach{}, false, nil
	}
	return cs[0], true, nil
}

// LinkHubCertification records on a coach the hub's certification with a
// verification code, as the director read it from the coach's certificate.
func (s *coachStore) LinkHubCertification(ctx context.Context, coachID, code string) (Coach, error) {
	code = NormalizeCertCode(code)
	var h HubCertification
	if code == "" {
		return Coach{}, &ValidationError{Field: "code", Msg: "Enter the verification code from the coach's certificate"}
	}
	err := s.st.DB.WithContext(ctx).First(&h, "code = ?", code).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Coach{}, &ValidationError{Field: "code", Msg: "The hub has sent no certification of this organization with this code: check the code, or sync with the hub and try again"}
	}
	if err != nil {
		return Coach{}, err
	}
	var other []Coach
	if err := s.st.DB.WithContext(ctx).Where("cert_code = ? AND id <> ?", code, coachID).Limit(1).Find(&other).Error; err != nil {
		return Coach{}, err
	}
	if len(other) > 0 {
		return Coach{}, &ValidationError{Field: "code", Msg: "This certification is already recorded for " + other[0].Name}
	}
	return s.RecordCertification(ctx, coachID, "hub", h.certification())
}

// HubCertifications lists the certifications the hub sent, by name.
func (s *coachStore) HubCertifications(ctx context.Context) ([]HubCertification, error) {
	var hs []HubCertification
	return hs, s.st.DB.WithContext(ctx).Order("coach_name").Find(&hs).Error
}

// SaveKitFile keeps a file a release attaches, after checking its bytes
// hash to the name the release gives it.
func (s *coachStore) SaveKitFile(ctx context.Context, sha, mediaType string, data []byte) error {
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sha {
		return fmt.Errorf("file %s does not match its SHA-256", sha)
	}
	f := KitFile{SHA256: sha, MediaType: mediaType, Size: int64(len(data)), Data: data, ReceivedAt: s.st.Now()}
	return s.st.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&f).Error
}

// HaveKitFiles reports which of the hashes the agent holds.
func (s *coachStore) HaveKitFiles(ctx context.Context, shas []string) (map[string]bool, error) {
	have := map[string]bool{}
	if len(shas) == 0 {
		return have, nil
	}
	var got []string
	err := s.st.DB.WithContext(ctx).Model(&KitFile{}).Where("sha256 IN ?", shas).Pluck("sha256", &got).Error
	for _, g := range got {
		have[g] = true
	}
	return have, err
}

// KitFileBySHA returns a file the agent holds.
func (s *coachStore) KitFileBySHA(ctx context.Context, sha string) (KitFile, error) {
	var f KitFile
	return f, notFound(s.st.DB.WithContext(ctx).First(&f, "sha256 = ?", sha).Error)
}
