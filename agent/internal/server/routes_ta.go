package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

// taRoutes registers technical assistance requests to the national office:
// the Program Director raises them and reads the answers, on the API (under
// /api/v1) and on pages. Requests wait in a local queue until the sync
// worker delivers them.
func (s *Server) taRoutes(api, pages *gin.RouterGroup) {
	director := s.requireRole(store.RoleDirector)
	api.GET("/ta-requests", director, s.apiTARequests)
	api.POST("/ta-requests", director, s.apiRaiseTARequest)
	api.GET("/ta-requests/:rid", director, s.apiTARequest)
	pages.GET("/ta-requests", director, s.taRequestsPage)
	pages.POST("/ta-requests", director, s.raiseTARequestSubmit)
	pages.GET("/ta-requests/:rid", director, s.taRequestPage)
}

func (s *Server) apiTARequests(c *gin.Context) {
	rs, err := s.st.TARequests(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	if rs == nil {
		rs = []store.TARequest{}
	}
	c.JSON(http.StatusOK, rs)
}

func (s *Server) apiRaiseTARequest(c *gin.Context) {
	var in store.TARequestInput
	if !bindJSON(c, &in) {
		return
	}
	r, err := s.st.RaiseTARequest(c.Request.Context(), currentUser(c), in)
	if err != nil {
		s.writeErr(c, err)
		return
	}
	s.nudgeSync()
	c.JSON(http.StatusCreated, r)
}

func (s *Server) apiTARequest(c *gin.Context) {
	r, err := s.st.TARequestByID(c.Request.Context(), c.Param("rid"))
	if errors.Is(err, store.ErrNotFound) {
		problem.Write(c, problem.New(http.StatusNotFound, problem.TypeNotFound, "No such TA request."))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (s *Server) taRequestsPage(c *gin.Context) { s.showTARequests(c, http.StatusOK, gin.H{}) }

func (s *Server) showTARequests(c *gin.Context, status int, data gin.H) {
	rs, err := s.st.TARequests(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, ok := data["Form"]; !ok {
		data["Form"] = store.TARequestInput{}
	}
	data["Title"], data["Requests"], data["Categories"], data["CategoryLabels"] = "TA requests", rs, contract.TACategories, contract.TACategoryLabels
	s.render(c, status, "ta_requests.html", data)
}

func (s *Server) raiseTARequestSubmit(c *gin.Context) {
	in := store.TARequestInput{Subject: c.PostForm("subject"), Category: c.PostForm("category"), Text: c.PostForm("text")}
	r, err := s.st.RaiseTARequest(c.Request.Context(), currentUser(c), in)
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.showTARequests(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "Errors": fe})
		return
	}
	s.nudgeSync()
	c.Redirect(http.StatusSeeOther, "/ta-requests/"+r.ID)
}

func (s *Server) taRequestPage(c *gin.Context) {
	r, err := s.st.TARequestByID(c.Request.Context(), c.Param("rid"))
	if errors.Is(err, store.ErrNotFound) {
		s.render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not found", "Message": "There is no such TA request."})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "ta_request.html", gin.H{"Title": r.Subject, "R": r, "CategoryLabels": contract.TACategoryLabels})
}
