package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/webui"
)

// auditActions are the audit log's actions in words.
var auditActions = map[string]string{
	"view": "Viewed the participant's record", "update": "Changed the participant's details", "withdraw": "Withdrew the participant",
	"record_interview": "Recorded a POM interview", "update_pairing_profile": "Changed the pairing profile",
	"record_outing": "Recorded an outing", "update_outing": "Changed an outing", "delete_outing": "Removed an outing",
	"view_goals": "Viewed the goals", "update_goals": "Changed the goals", "view_stipend": "Viewed the stipend",
	"update_spending_plan": "Changed the spending plan", "record_expense": "Recorded an expense", "remove_expense": "Removed an expense",
	"upload_receipt": "Added a receipt", "download_receipt": "Opened a receipt", "approve_stipend": "Approved a stipend payment",
	"view_journals": "Viewed the journals", "record_journal": "Recorded a journal week", "review_journal": "Reviewed a journal week",
	"issue_journal_access": "Gave journal access (a start code)", "revoke_journal_access": "Revoked journal access",
	"record_hospitalization": "Recorded hospitalizations or services",
	"view_own_journal":       "Opened their own journal", "record_own_journal": "Filled in their own journal",
	"add_to_cohort": "Added to a cohort", "leave_cohort": "Took out of a cohort",
	"form_pair": "Paired in a cohort", "join_pair": "Joined a pair", "end_pair": "Ended a pair",
	"record_meeting": "Recorded a meeting", "update_meeting": "Changed a meeting", "delete_meeting": "Removed a meeting",
	"add_account": "Added a staff account", "enable_account": "Enabled an account", "disable_account": "Disabled an account",
	"set_password": "Set an account's password", "link_hub_certification": "Linked a coach's hub certification",
	"link_coach_account": "Changed the account a coach signs in with", "stipend_report": "Exported the stipend report", "view_stipends": "Viewed the month's stipends",
	"import_participants": "Imported participants", "import_coaches": "Imported coaches", "import_interviews": "Imported interviews",
}

// auditAction is an action in words; one the table does not know (an
// older agent's) is shown as its code with spaces.
func auditAction(code string) string {
	if w, ok := auditActions[code]; ok {
		return w
	}
	return web.Capitalize(strings.ReplaceAll(code, "_", " "))
}

// auditRow is an audit line with its action and its subject in words.
type auditRow struct {
	store.AuditEntry
	ActionLabel string `json:"action_label"`
	SubjectName string `json:"subject_name,omitempty"`
	// Month is the month a stipend line is about.
	Month string `json:"-"`
	// Outcome is how an attempt to change a record ended, in words.
	Outcome string `json:"-"`
}

// auditRows reads the audit log's lines, in words.
func (s *siteHandlers) auditRows(c *gin.Context, f store.AuditFilter) ([]auditRow, error) {
	es, err := s.St.AuditLog(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	names, err := s.St.AuditSubjects(c.Request.Context(), es)
	if err != nil {
		return nil, err
	}
	rows := make([]auditRow, len(es))
	for i, e := range es {
		rows[i] = auditRow{AuditEntry: e, ActionLabel: auditAction(e.Action), SubjectName: names[e.SubjectType+"|"+e.SubjectID], Outcome: webui.Outcome(e.Status)}
		if m, ok := strings.CutPrefix(e.Detail, "month "); ok {
			rows[i].Month = m
		}
		if rows[i].SubjectName == "" && e.SubjectType == "user" {
			rows[i].SubjectName = e.Detail // the account's email when the line was written
		}
	}
	return rows, nil
}

func (s *siteHandlers) apiAudit(c *gin.Context) {
	limit, _ := strconv.Atoi(c.Query("limit"))
	rows, err := s.auditRows(c, store.AuditFilter{SubjectID: c.Query("participant"), UserID: c.Query("user"), Limit: limit})
	s.Reply(c, http.StatusOK, rows, err)
}

func (s *siteHandlers) auditPage(c *gin.Context) {
	limit, _ := strconv.Atoi(c.Query("limit"))
	rows, err := s.auditRows(c, store.AuditFilter{SubjectID: c.Query("participant"), Limit: limit})
	if err != nil {
		s.Respond(c, err)
		return
	}
	data := gin.H{"Title": "Audit log", "Entries": rows, "Participant": c.Query("participant")}
	if len(rows) > 0 && c.Query("participant") != "" {
		data["ParticipantName"] = rows[0].SubjectName
	}
	s.Render(c, http.StatusOK, "audit.html", data)
}
