package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
)

// taHandlers are technical assistance requests to the national office: the
// Program Director raises them and reads the answers. Requests wait in a
// local queue until the sync worker delivers them.
type taHandlers struct{ *web.App }

func (s *taHandlers) apiTARequests(c *gin.Context) {
	rs, err := s.St.TA.TARequests(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	if rs == nil {
		rs = []store.TARequest{}
	}
	c.JSON(http.StatusOK, rs)
}

func (s *taHandlers) apiRaiseTARequest(c *gin.Context) {
	var in store.TARequestInput
	if !web.BindJSON(c, &in) {
		return
	}
	r, err := s.St.TA.RaiseTARequest(c.Request.Context(), web.CurrentUser(c), in)
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.NudgeSync()
	c.JSON(http.StatusCreated, r)
}

func (s *taHandlers) apiTARequest(c *gin.Context) {
	r, err := s.St.TA.TARequestByID(c.Request.Context(), c.Param("rid"))
	s.Reply(c, http.StatusOK, r, web.NotFound(err, "No such TA request."))
}

func (s *taHandlers) taRequestsPage(c *gin.Context) { s.showTARequests(c, http.StatusOK, gin.H{}) }

func (s *taHandlers) showTARequests(c *gin.Context, status int, data gin.H) {
	rs, err := s.St.TA.TARequests(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	if _, ok := data["Form"]; !ok {
		data["Form"] = store.TARequestInput{}
	}
	data["Title"], data["Requests"], data["Categories"], data["CategoryLabels"] = "TA requests", rs, contract.TACategories, contract.TACategoryLabels
	s.Render(c, status, "ta_requests.html", data)
}

func (s *taHandlers) raiseTARequestSubmit(c *gin.Context) {
	in := store.TARequestInput{Subject: c.PostForm("subject"), Category: c.PostForm("category"), Text: c.PostForm("text")}
	r, err := s.St.TA.RaiseTARequest(c.Request.Context(), web.CurrentUser(c), in)
	if err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.showTARequests(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "Errors": fe})
		return
	}
	s.NudgeSync()
	c.Redirect(http.StatusSeeOther, "/ta-requests/"+r.ID)
}

func (s *taHandlers) taRequestPage(c *gin.Context) {
	r, err := s.St.TA.TARequestByID(c.Request.Context(), c.Param("rid"))
	if err != nil {
		s.Respond(c, web.NotFound(err, "No such TA request."))
		return
	}
	// The director has now read the answer: the home stops listing it.
	if err := s.St.Home.MarkTAAnswerRead(c.Request.Context(), r); err != nil {
		s.Respond(c, err)
		return
	}
	s.Render(c, http.StatusOK, "ta_request.html", gin.H{"Title": r.Subject, "R": r, "CategoryLabels": contract.TACategoryLabels})
}
