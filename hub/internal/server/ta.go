package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

// receiveTARequest takes a TA request from a site (site credential). The
// agent's request id makes it idempotent.
func (s *Server) receiveTARequest(c *gin.Context) {
	site := c.MustGet(web.CtxSite).(store.Site)
	var w contract.TARequestWire
	if !s.ReadJSON(c, contract.MaxTARequestBytes, &w) {
		return
	}
	res, err := s.ta.ReceiveTARequest(c.Request.Context(), site, w)
	if errors.Is(err, contract.ErrTAConflict) {
		s.log.Warn("TA request refused: id known with other content", "site", site.ID)
		problem.Write(c, problem.New(http.StatusConflict, problem.TypeConflict, "A TA request with this id was already received with other content. Send a changed request under a new id."))
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.log.Info("TA request received", "site", site.ID, "request", res.ID, "fate", res.Fate)
	c.JSON(http.StatusOK, res)
}

// taAnswers is the TA answer stream of the pull: the site's own requests
// changed after the cursor, in stream order, bounded.
func (s *Server) taAnswers(c *gin.Context, siteID string, cur *contract.PullCursor) ([]contract.TAAnswerWire, error) {
	rs, err := s.ta.TAAnswersAfter(c.Request.Context(), siteID, cur.TAAnswers, contract.MaxTAAnswersPerPull)
	out := make([]contract.TAAnswerWire, 0, len(rs))
	for _, r := range rs {
		w := contract.TAAnswerWire{Seq: r.Seq, RequestID: r.ID, Status: r.Status, Answer: r.Answer, AnsweredBy: r.AnsweredBy}
		if r.AnsweredAt != nil {
			w.AnsweredAt = r.AnsweredAt.UTC()
		}
		out = append(out, w)
		cur.TAAnswers = r.Seq
	}
	return out, err
}

// requestView is a TA request as the staff API shows it.
func requestView(r ta.TARequest) gin.H {
	return gin.H{"id": r.ID, "site_id": r.SiteID, "org_id": r.OrgID, "subject": r.Subject, "category": r.Category, "text": r.Body,
		"raised_at": r.RaisedAt, "received_at": r.ReceivedAt, "status": r.Status, "assignee_id": r.AssigneeID, "answer": r.Answer,
		"answered_by": r.AnsweredBy, "answered_at": r.AnsweredAt, "closed_at": r.ClosedAt}
}

// requestFilter reads the list filter; a Program Director only ever sees
// their own organization's requests.
func requestFilter(c *gin.Context) (ta.TAFilter, *problem.Problem) {
	u := web.User(c)
	f := ta.TAFilter{OrgID: c.Query("org"), Status: c.Query("status")}
	if u.Role == store.RoleDirector {
		if f.OrgID != "" && f.OrgID != u.OrgID {
			return f, problem.New(http.StatusForbidden, problem.TypeForbidden, "You can only see your own organization's requests.")
		}
		f.OrgID = u.OrgID
	}
	return f, nil
}

func (s *Server) apiTARequests(c *gin.Context) {
	f, p := requestFilter(c)
	if p != nil {
		problem.Write(c, p)
		return
	}
	rs, err := s.ta.TARequests(c.Request.Context(), f)
	out := []gin.H{}
	for _, r := range rs {
		out = append(out, requestView(r))
	}
	s.Answer(c, http.StatusOK, out, err)
}

func (s *Server) apiTARequest(c *gin.Context) {
	c.JSON(http.StatusOK, requestView(requestOf(c)))
}

func (s *Server) apiAssignTARequest(c *gin.Context) {
	var in struct {
		AssigneeID string `json:"assignee_id"`
	}
	if !s.ReadJSON(c, 16<<10, &in) {
		return
	}
	r, err := s.ta.AssignTARequest(c.Request.Context(), requestOf(c).ID, in.AssigneeID)
	s.Answer(c, http.StatusOK, requestView(r), err)
}

func (s *Server) apiAnswerTARequest(c *gin.Context) {
	var in struct {
		Answer string `json:"answer"`
	}
	if !s.ReadJSON(c, contract.MaxTARequestBytes, &in) {
		return
	}
	r, err := s.ta.AnswerTARequest(c.Request.Context(), requestOf(c).ID, in.Answer, web.User(c))
	s.Answer(c, http.StatusOK, requestView(r), err)
}

func (s *Server) apiCloseTARequest(c *gin.Context) {
	r, err := s.ta.CloseTARequest(c.Request.Context(), requestOf(c).ID)
	s.Answer(c, http.StatusOK, requestView(r), err)
}

// work is the signed-in TA specialist's list; ?all=1 shows everyone's.
func (s *Server) work(c *gin.Context) (ta.TAWork, error) {
	u := web.User(c)
	return s.ta.Work(c.Request.Context(), u.ID, c.Query("all") == "1", s.cfg.FidelityFlags)
}

func (s *Server) apiWork(c *gin.Context) {
	w, err := s.work(c)
	if w.Requests == nil {
		w.Requests = []ta.TARequest{}
	}
	s.Answer(c, http.StatusOK, w, err)
}
