package web

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// ParticipantTab is one section of a participant's record, shown on its
// own page (/participants/:id?tab=Key): its name in the section
// navigation and what adds its data (nil when the page's own data is
// enough).
type ParticipantTab struct {
	Key, Label string
	Add        ParticipantSection
}

// The sections of a participant's record, in the navigation's order.
const (
	TabProfile          = "profile"
	TabInterviews       = "interviews"
	TabGoals            = "goals"
	TabJournals         = "journals"
	TabOutings          = "outings"
	TabHospitalizations = "hospitalizations"
	TabParticipation    = "participation"
)

// tabOfAction is the section a participant form belongs to, by the first
// part of its path after /participants/:id/: a form that fails shows its
// own section again.
var tabOfAction = map[string]string{
	"interviews": TabInterviews, "withdraw": TabProfile, "intake": TabProfile,
	"goals": TabGoals, "plans": TabGoals, "expenses": TabGoals, "payments": TabGoals, "receipts": TabGoals,
	"journals": TabJournals, "journal-access": TabJournals,
	"outings": TabOutings, "pairing-profile": TabOutings,
	"hospitalizations": TabHospitalizations, "service-changes": TabHospitalizations,
}

// TabOf is the section of a participant's record a request shows: the
// one a handler chose (data["Tab"]), the one a form posted to belongs to,
// the page's ?tab, or (for older links) the one a ?stipend_month or
// ?journal_week is about; the profile otherwise. An unknown ?tab is the
// profile.
func (s *App) TabOf(c *gin.Context, data gin.H) string {
	if t, ok := data["Tab"].(string); ok && s.Tab(t) != nil {
		return t
	}
	if rest, ok := strings.CutPrefix(c.FullPath(), "/participants/:id/"); ok && c.Request.Method != "GET" {
		first, _, _ := strings.Cut(rest, "/")
		if t, ok := tabOfAction[first]; ok {
			return t
		}
	}
	switch t := c.Query("tab"); {
	case s.Tab(t) != nil:
		return t
	case t == "" && c.Query("stipend_month") != "":
		return TabGoals
	case t == "" && c.Query("journal_week") != "":
		return TabJournals
	}
	return TabProfile
}

// Tab is the section key, nil when there is none.
func (s *App) Tab(key string) *ParticipantTab {
	for i := range s.ParticipantTabs {
		if s.ParticipantTabs[i].Key == key {
			return &s.ParticipantTabs[i]
		}
	}
	return nil
}

// TabLink is a section's entry in the navigation of a participant's page.
type TabLink struct {
	Key, Label, Href string
	Current          bool
}

// TabLinks are the navigation of participant id's page, current marked.
func (s *App) TabLinks(id, current string) []TabLink {
	out := make([]TabLink, len(s.ParticipantTabs))
	for i, t := range s.ParticipantTabs {
		out[i] = TabLink{Key: t.Key, Label: t.Label, Href: TabHref(id, t.Key), Current: t.Key == current}
	}
	return out
}

// TabHref is the address of a section of participant id's record.
func TabHref(id, tab string) string {
	if tab == TabProfile {
		return "/participants/" + id
	}
	return "/participants/" + id + "?tab=" + tab
}

// SectionRedirect is where a participant form that succeeded goes: its
// section (with query, such as "stipend_month=2026-06", if any), at anchor.
func SectionRedirect(id, tab, query, anchor string) string {
	u := "/participants/" + id + "?tab=" + tab
	if query != "" {
		u += "&" + query
	}
	if anchor != "" {
		u += "#" + anchor
	}
	return u
}
