package training

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
)

// Certification's handlers. The actions the API and the person's page
// share (certify, revoke, ownCert) each make their one store call and log
// who acted; the handlers read the request and answer in their own way.

// certify certifies the trainee the path names.
func (s *CertHandlers) certify(c *gin.Context) (Certification, error) {
	cert, err := s.training.Certify(c.Request.Context(), c.Param("id"), s.certs)
	if err == nil {
		s.Log.Info("certification issued", "trainee", cert.TraineeID, "by", web.StaffName(c))
	}
	return cert, err
}

// revoke revokes a certification by its code, for a reason.
func (s *CertHandlers) revoke(c *gin.Context, code, reason string) (Certification, error) {
	cert, err := s.training.RevokeCertification(c.Request.Context(), code, reason)
	if err == nil {
		s.Log.Info("certification revoked", "trainee", cert.TraineeID, "by", web.StaffName(c))
	}
	return cert, err
}

// ownCert checks a certification code belongs to the person of the page.
func (s *CertHandlers) ownCert(c *gin.Context) error {
	cert, err := s.training.CertificationByCode(c.Request.Context(), c.PostForm("code"))
	if err == nil && cert.TraineeID != c.Param("id") {
		return store.ErrNotFound
	}
	return err
}

// certifiedView answers a certification just issued or changed.
func (s *CertHandlers) certifiedView(c *gin.Context, status int, cert Certification) {
	cs, err := s.training.TraineeCertifications(c.Request.Context(), cert.TraineeID, s.certs)
	if err != nil {
		s.Respond(c, err)
		return
	}
	for _, v := range cs {
		if v.Code == cert.Code {
			c.JSON(status, certView(v))
			return
		}
	}
	s.Respond(c, errors.New("certification vanished after writing it"))
}

func (s *CertHandlers) APICertify(c *gin.Context) {
	cert, err := s.certify(c)
	if err != nil {
		s.Respond(c, err, "No such person.")
		return
	}
	s.certifiedView(c, http.StatusCreated, cert)
}

func (s *CertHandlers) APIRenew(c *gin.Context) {
	cert, err := s.training.RenewCertification(c.Request.Context(), c.Param("code"), s.certs)
	if err != nil {
		s.Respond(c, err, "No certification has this code.")
		return
	}
	s.certifiedView(c, http.StatusOK, cert)
}

func (s *CertHandlers) APIRevoke(c *gin.Context) {
	var req struct {
		Reason string `json:"reason"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	cert, err := s.revoke(c, c.Param("code"), req.Reason)
	if err != nil {
		s.Respond(c, err, "No certification has this code.")
		return
	}
	s.certifiedView(c, http.StatusOK, cert)
}

func (s *CertHandlers) APIExpiring(c *gin.Context) {
	cs, err := s.training.ExpiringCertifications(c.Request.Context(), s.certs)
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"within_days": s.certs.WarnDays, "certifications": certViews(cs)})
}

// registryOrg finds the organization of a registry; a Program Director
// sees only their own.
func (s *CertHandlers) registryOrg(c *gin.Context) (store.Organization, error) {
	u := c.MustGet(web.CtxUser).(store.User)
	o, err := s.St.FindOrganization(c.Request.Context(), c.Param(orgParam(c)))
	if err == nil && u.Role == store.RoleDirector && o.ID != u.OrgID {
		return o, errForeignOrg
	}
	return o, err
}

func orgParam(c *gin.Context) string {
	if c.Param("org") != "" {
		return "org"
	}
	return "id"
}

var errForeignOrg = errors.New("a director asked for another organization's registry")

func (s *CertHandlers) APIRegistry(c *gin.Context) {
	o, err := s.registryOrg(c)
	if errors.Is(err, errForeignOrg) {
		problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, "You can only see your own organization's registry."))
		return
	}
	if err != nil {
		s.Respond(c, err, "No such organization.")
		return
	}
	cs, err := s.training.Registry(c.Request.Context(), o.ID, s.certs)
	if err != nil {
		s.Respond(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"org_id": o.ID, "name": o.Name, "certifications": certViews(cs)})
}

func (s *CertHandlers) APIVerify(c *gin.Context) {
	v, err := s.training.Verify(c.Request.Context(), c.Query("code"))
	if err != nil {
		s.Respond(c, err, "No certification has this code. Check it letter by letter, as printed on the certificate.")
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *CertHandlers) RegistryPage(c *gin.Context) {
	o, err := s.registryOrg(c)
	if errors.Is(err, errForeignOrg) {
		s.Deny(c, "You can only see your own organization's registry.")
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		s.Missing(c, "organization")
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	cs, err := s.training.Registry(c.Request.Context(), o.ID, s.certs)
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.Render(c, http.StatusOK, "registry.html", gin.H{"Title": "Registry: " + o.Name, "Org": o, "Certs": cs})
}

func (s *CertHandlers) VerifyPage(c *gin.Context) {
	data := gin.H{"Title": "Verify a certification", "Code": c.Query("code")}
	status := http.StatusOK
	if code := c.Query("code"); code != "" {
		v, err := s.training.Verify(c.Request.Context(), code)
		switch {
		case errors.Is(err, store.ErrNotFound):
			data["Error"], status = "No certification has this code. Check it letter by letter, as printed on the certificate.", http.StatusNotFound
		case err != nil:
			s.Respond(c, err)
			return
		default:
			data["Result"] = v
		}
	}
	s.Render(c, status, "verify.html", data)
}
