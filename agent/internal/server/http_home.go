package server

import (
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/participants"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
)

// homeShown is how many items of a group the home lists; the rest are
// behind the group's "all" link.
const homeShown = 8

// homeHandlers are the site's home: what is due this week, for the
// signed-in user.
type homeHandlers struct{ *web.App }

// homeItem is a due item as the home shows it, with the address where it
// is done (flat: the template finds a field of an embedded struct by a
// slow search).
type homeItem struct {
	Who, What, Link string
	Overdue         bool
}

// homeGroup is a kind of due item: its heading, how many, the first
// homeShown, and where to see them all.
type homeGroup struct {
	Kind, Title string
	Count       int
	Overdue     int
	Items       []homeItem
	More        int
	AllLink     string
}

// dueLink is where a due item is done.
func dueLink(it store.DueItem) string {
	p := "/participants/" + url.PathEscape(it.ParticipantID)
	month := "?stipend_month=" + url.QueryEscape(it.Month)
	switch it.Kind {
	case store.DueInterview, store.DueYearEnd:
		return p + "?tab=interviews#interview-form"
	case store.DueJournal:
		return p + "?tab=journals#journal-form"
	case store.DueStipend:
		return p + month + "#stipend"
	case store.DueReceipts:
		return p + month + "#expenses"
	case store.DueMeeting:
		return "/cohorts/" + url.PathEscape(it.CohortID) + "#meetings"
	case store.DuePair:
		return "/cohorts/" + url.PathEscape(it.CohortID) + "#current-pairs"
	case store.DueCertification:
		return "/coaches#coach-" + url.PathEscape(it.CoachID)
	case store.DueTAAnswer:
		return "/ta-requests/" + url.PathEscape(it.RequestID)
	}
	return "/"
}

// allLink is where every item of a kind is listed.
func allLink(kind string) string {
	switch kind {
	case store.DueMeeting, store.DuePair:
		return "/cohorts"
	case store.DueCertification:
		return "/coaches"
	case store.DueTAAnswer:
		return "/ta-requests"
	}
	return "/participants?due=" + kind
}

// homeGroups arranges the home's items by kind, in the page's order; the
// TA answers only for the director, who alone reads them.
func homeGroups(h store.SiteHome, director bool) []homeGroup {
	var out []homeGroup
	for _, kind := range store.DueKinds {
		if kind == store.DueTAAnswer && !director {
			continue
		}
		items := h.Items[kind]
		g := homeGroup{Kind: kind, Title: participants.DueLabel(kind), Count: len(items), AllLink: allLink(kind)}
		for i, it := range items {
			if it.Overdue {
				g.Overdue++
			}
			if i < homeShown {
				g.Items = append(g.Items, homeItem{Who: it.Who, What: it.What, Link: dueLink(it), Overdue: it.Overdue})
			}
		}
		g.More = max(0, len(items)-homeShown)
		out = append(out, g)
	}
	return out
}

// syncAge says when a sync time (RFC 3339) was, for people: the moment in
// the site's zone and how long ago.
func (s *homeHandlers) syncAge(v string) string {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return v
	}
	return s.Clock.When(t) + " (" + s.Clock.Ago(t) + ")"
}

// homeDrawn is the home as kept between requests: what is due, and its
// groups as drawn.
type homeDrawn struct {
	h   store.SiteHome
	due template.HTML
}

func (s *homeHandlers) homePage(c *gin.Context) {
	u := web.CurrentUser(c)
	director := u.Role == store.RoleDirector
	// The groups are drawn again only after a change to the data (or the
	// next minute), as the due items are computed again.
	drawn, err := store.Kept(s.St, "home|"+u.ID+"|"+u.Role, func() (homeDrawn, error) {
		h, err := s.St.Home.SiteHome(c.Request.Context(), u)
		if err != nil {
			return homeDrawn{}, err
		}
		due, err := s.Draw("home-groups", gin.H{"Groups": homeGroups(h, director)})
		return homeDrawn{h, due}, err
	})
	if err != nil {
		s.Respond(c, err)
		return
	}
	h := drawn.h
	data := gin.H{"Title": "This week", "Due": drawn.due, "Director": director, "Today": h.Today.Format("Monday 2 January 2006"),
		"LastSuccess": s.syncAge(h.LastSuccess), "LastError": h.LastError, "NeverSynced": h.LastSuccess == ""}
	// The error is the last round's only when no success came after it.
	if h.LastError == "" || (h.LastSuccess != "" && h.LastSuccess >= h.LastSync) {
		data["LastError"] = ""
	}
	s.Render(c, http.StatusOK, "home.html", data)
}
