package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
)

// hubCertRoutes registers what the hub sends down besides releases: a
// director links a coach to the hub's certification by its verification
// code (certifications also match by the coach's email as they arrive),
// and anyone signed in opens the files the release attaches to its lesson
// plans.
func (s *Server) hubCertRoutes(api, pages *gin.RouterGroup) {
	api.POST("/coaches/:cid/hub-certification", s.requireRole(store.RoleDirector), s.apiLinkHubCert)
	api.GET("/kit-files/:sha", s.kitFile)
	pages.POST("/coaches/:cid/hub-certification", s.requireRole(store.RoleDirector), s.linkHubCertSubmit)
	pages.GET("/kit-files/:sha", s.kitFile)
}

func (s *Server) apiLinkHubCert(c *gin.Context) {
	var in struct {
		Code string `json:"code"`
	}
	if !bindJSON(c, &in) {
		return
	}
	co, err := s.st.LinkHubCertification(c.Request.Context(), c.Param("cid"), in.Code)
	if err != nil {
		s.writeNotFound(c, err, "No such coach.")
		return
	}
	u := currentUser(c)
	if err := s.st.Audit(c.Request.Context(), u, "link_hub_certification", "coach", co.ID, "certification "+co.CertCode); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, coachView(co, s.st.Now()))
}

func (s *Server) linkHubCertSubmit(c *gin.Context) {
	co, err := s.st.LinkHubCertification(c.Request.Context(), c.Param("cid"), c.PostForm("code"))
	if err != nil {
		s.coachFormFail(c, err, "HubErrors", "HubCoach")
		return
	}
	if err := s.st.Audit(c.Request.Context(), currentUser(c), "link_hub_certification", "coach", co.ID, "certification "+co.CertCode); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/coaches")
}

// kitFile serves a file of the release, as the hub sent it.
func (s *Server) kitFile(c *gin.Context) {
	f, err := s.st.KitFileBySHA(c.Request.Context(), c.Param("sha"))
	if errors.Is(err, store.ErrNotFound) {
		if isAPI(c) {
			s.writeNotFound(c, err, "The site holds no such file; it arrives with the next sync.")
			return
		}
		s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not here yet", "Message": "This file has not arrived from the hub yet; it comes with the next sync."})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Security-Policy", "sandbox")
	c.Header("Cache-Control", "private, max-age=86400")
	c.Data(http.StatusOK, f.MediaType, f.Data)
}
