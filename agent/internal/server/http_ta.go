package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
)

// taHandlers are technical assistance requests to the national office: the
// Program Director raises them and reads the answers. Requests wait in a
// local queue until the sync worker delivers them.
type taHandlers struct{ *app }

func (s *taHandlers) apiTARequests(c *gin.Context) {
	rs, err := s.st.TARequests(c.Request.Context())
	if err != nil {
		s.respond(c, err)
		return
	}
	if rs == nil {
		rs = []store.TARequest{}
	}
	c.JSON(http.StatusOK, rs)
}

func (s *taHandlers) apiRaiseTARequest(c *gin.Context) {
	var in store.TARequestInput
	if !bindJSON(c, &in) {
		return
	}
	r, err := s.st.RaiseTARequest(c.Request.Context(), currentUser(c), in)
	if err != nil {
		s.respond(c, err)
		return
	}
	s.nudgeSync()
	c.JSON(http.StatusCreated, r)
}

func (s *taHandlers) apiTARequest(c *gin.Context) {
	r, err := s.st.TARequestByID(c.Request.Context(), c.Param("rid"))
	s.reply(c, http.StatusOK, r, notFound(err, "No such TA request."))
}

func (s *taHandlers) taRequestsPage(c *gin.Context) { s.showTARequests(c, http.StatusOK, gin.H{}) }

func (s *taHandlers) showTARequests(c *gin.Context, status int, data gin.H) {
	rs, err := s.st.TARequests(c.Request.Context())
	if err != nil {
		s.respond(c, err)
		return
	}
	if _, ok := data["Form"]; !ok {
		data["Form"] = store.TARequestInput{}
	}
	data["Title"], data["Requests"], data["Categories"], data["CategoryLabels"] = "TA requests", rs, contract.TACategories, contract.TACategoryLabels
	s.render(c, status, "ta_requests.html", data)
}

func (s *taHandlers) raiseTARequestSubmit(c *gin.Context) {
	in := store.TARequestInput{Subject: c.PostForm("subject"), Category: c.PostForm("category"), Text: c.PostForm("text")}
	r, err := s.st.RaiseTARequest(c.Request.Context(), currentUser(c), in)
	if err != nil {
		fe, ok := fieldErrors(err)
		if !ok {
			s.respond(c, err)
			return
		}
		s.showTARequests(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "Errors": fe})
		return
	}
	s.nudgeSync()
	c.Redirect(http.StatusSeeOther, "/ta-requests/"+r.ID)
}

func (s *taHandlers) taRequestPage(c *gin.Context) {
	r, err := s.st.TARequestByID(c.Request.Context(), c.Param("rid"))
	if err != nil {
		s.respond(c, notFound(err, "No such TA request."))
		return
	}
	s.render(c, http.StatusOK, "ta_request.html", gin.H{"Title": r.Subject, "R": r, "CategoryLabels": contract.TACategoryLabels})
}
