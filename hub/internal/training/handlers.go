package training

import (
	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/web"
)

// Handlers is training and certification's HTTP surface: the staff API
// and pages for trainees, events and certifications, and the public
// verification of a certificate's code.
type Handlers struct {
	*web.Base
	training *Store
	certs    CertPolicy
}

// NewHandlers returns training's handlers; certs is how long a
// certification lasts and how far ahead its expiry is flagged.
func NewHandlers(b *web.Base, certs CertPolicy) *Handlers {
	return &Handlers{Base: b, training: New(b.St), certs: certs}
}

// The actions the API and the pages share: each makes its one store call
// and logs who acted; the handlers read the request and answer in their
// own way.

// certify certifies the trainee the path names.
func (s *Handlers) certify(c *gin.Context) (Certification, error) {
	cert, err := s.training.Certify(c.Request.Context(), c.Param("id"), s.certs)
	if err == nil {
		s.Log.Info("certification issued", "trainee", cert.TraineeID, "by", web.StaffName(c))
	}
	return cert, err
}

// revoke revokes a certification by its code, for a reason.
func (s *Handlers) revoke(c *gin.Context, code, reason string) (Certification, error) {
	cert, err := s.training.RevokeCertification(c.Request.Context(), code, reason)
	if err == nil {
		s.Log.Info("certification revoked", "trainee", cert.TraineeID, "by", web.StaffName(c))
	}
	return cert, err
}
