package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/program"
)

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

func options(values []string, label func(string) string, selected string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{Value: v, Label: label(v), Selected: v == selected}
	}
	return out
}

func stageLabel(stage int) string {
	if stage == 0 {
		return "no outings yet"
	}
	return fmt.Sprintf("stage %d, %s", stage, rules.StageName(stage))
}

// partnerCell is a partner as the pages show them.
type partnerCell struct {
	ID, Name, Stage string
	Left            bool
}

func partnerCells(ps []store.Partner) []partnerCell {
	out := make([]partnerCell, len(ps))
	for i, p := range ps {
		out[i] = partnerCell{ID: p.ID, Name: p.Name, Stage: stageLabel(p.Stage), Left: !p.Member}
	}
	return out
}

// endForm is the form that ends a pair, with what was entered.
type endForm struct {
	EndedOn, Note string
	Reasons       []option
	Open          bool
}

// pairRow is a pair as the pages show it.
type pairRow struct {
	ID, CohortID, CohortName, FormedOn, EndedOn, Reason, Note string
	Partners                                                  []partnerCell
	Warnings                                                  []string
	End                                                       endForm
}

func pairRows(ps []store.PairInfo, today string, failed string, form store.EndPairInput) []pairRow {
	out := make([]pairRow, len(ps))
	for i, p := range ps {
		r := pairRow{ID: p.ID, CohortID: p.CohortID, CohortName: p.CohortName, FormedOn: p.FormedOn, EndedOn: p.EndedOn, Note: p.EndNote,
			Partners: partnerCells(p.Partners), Warnings: p.Warnings}
		if p.EndReason != "" {
			r.Reason = rules.EndReasonLabel(p.EndReason)
		}
		r.End = endForm{EndedOn: today, Reasons: options(rules.EndReasons, rules.EndReasonLabel, "")}
		if p.ID == failed {
			r.End = endForm{EndedOn: form.EndedOn, Note: form.Note, Reasons: options(rules.EndReasons, rules.EndReasonLabel, form.Reason), Open: true}
		}
		out[i] = r
	}
	return out
}

// suggestionRow is a pairing suggestion with a one-click form.
type suggestionRow struct {
	Names, Explanation, Button string
	IDs                        []string
	// JoinPairID and JoinID: the suggestion adds JoinID to that pair.
	JoinPairID, JoinID string
}

// pairsSection is what the cohort page's "cohort-pairs" section shows.
type pairsSection struct {
	MixedPairs   bool
	TrioAllowed  bool
	Advice       []string
	Current      []pairRow
	Unpaired     []partnerCell
	Suggestions  []suggestionRow
	LeftUnpaired string
	History      []pairRow
	Errors       map[string]string
	Form         pairForm
}

// pairForm is the form that pairs members by hand.
type pairForm struct {
	A, B, C, FormedOn string
}

// Data keys the pair forms use to show their errors again.
const (
	keyPairErrors = "PairErrors"
	keyPairFailed = "PairFailed"
	keyPairEnd    = "PairEndForm"
	keyPairForm   = "PairForm"
)

func (s *Server) cohortPairsSection(c *gin.Context, v store.CohortView, data gin.H) error {
	if v.Cohort.Model != program.ModelPeerPartners {
		return nil
	}
	pv, err := s.st.CohortPairs(c.Request.Context(), v.Cohort.ID)
	if err != nil {
		return err
	}
	today := s.st.Now().Format("2006-01-02")
	failed, _ := data[keyPairFailed].(string)
	endIn, _ := data[keyPairEnd].(store.EndPairInput)
	sec := pairsSection{MixedPairs: pv.MixedPairs, TrioAllowed: pv.TrioAllowed, Advice: pv.Advice, Current: pairRows(pv.Current, today, failed, endIn),
		Unpaired: partnerCells(pv.Unpaired), History: pairRows(pv.History, today, "", store.EndPairInput{}), Form: pairForm{FormedOn: today}}
	if f, ok := data[keyPairForm].(pairForm); ok {
		sec.Form = f
	}
	if e, ok := data[keyPairErrors].(map[string]string); ok {
		sec.Errors = e
	}
	for _, sg := range pv.Suggestions {
		names := make([]string, len(sg.Members))
		for i, id := range sg.Members {
			names[i] = pv.Names[id]
		}
		row := suggestionRow{Names: rules.JoinNames(names), Explanation: sg.Explanation, IDs: sg.Members, JoinPairID: sg.JoinPairID}
		switch {
		case sg.JoinPairID != "":
			row.JoinID = sg.Members[len(sg.Members)-1]
			row.Button = "Add " + names[len(names)-1] + " to this pair"
		case len(sg.Members) == 3:
			row.Button = "Pair these three"
		default:
			row.Button = "Pair these two"
		}
		sec.Suggestions = append(sec.Suggestions, row)
	}
	var left []string
	for _, id := range pv.LeftUnpaired {
		left = append(left, pv.Names[id])
	}
	sec.LeftUnpaired = rules.JoinNames(left)
	data["Pairs"] = sec
	return nil
}

// pairFormErr shows the cohort page again with a pair form's errors, or
// fails on an unexpected error.
func (s *Server) pairFormErr(c *gin.Context, err error, data gin.H) {
	fe, ok := fieldErrors(err)
	if !ok {
		if !errors.Is(err, store.ErrNotFound) {
			s.fail(c, err)
			return
		}
		fe = map[string]string{"pair": "There is no such pair in this cohort."}
	}
	data[keyPairErrors] = fe
	s.showCohort(c, http.StatusUnprocessableEntity, data)
}

func (s *Server) formPairSubmit(c *gin.Context) {
	f := pairForm{A: c.PostForm("participant_a"), B: c.PostForm("participant_b"), C: c.PostForm("participant_c"), FormedOn: c.PostForm("formed_on")}
	// The one-click suggestions send participant_id once per partner;
	// the form sends participant_a, _b and an optional _c.
	ids := c.PostFormArray("participant_id")
	if len(ids) == 0 {
		for _, id := range []string{f.A, f.B, f.C} {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	p, _, err := s.st.FormPair(c.Request.Context(), c.Param("cid"), store.PairInput{ParticipantIDs: ids, FormedOn: f.FormedOn})
	if err != nil {
		s.pairFormErr(c, err, gin.H{keyPairForm: f})
		return
	}
	if err := s.auditPair(c, "form_pair", p); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid")+"#pairs")
}

func (s *Server) joinPairSubmit(c *gin.Context) {
	in := store.JoinPairInput{ParticipantID: c.PostForm("participant_id"), JoinedOn: c.PostForm("joined_on")}
	p, _, err := s.st.JoinPair(c.Request.Context(), c.Param("cid"), c.Param("pairid"), in)
	if err != nil {
		s.pairFormErr(c, err, gin.H{})
		return
	}
	if err := s.auditPair(c, "join_pair", p); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid")+"#pairs")
}

func (s *Server) endPairSubmit(c *gin.Context) {
	in := store.EndPairInput{EndedOn: c.PostForm("ended_on"), Reason: c.PostForm("reason"), Note: c.PostForm("note")}
	p, err := s.st.EndPair(c.Request.Context(), c.Param("cid"), c.Param("pairid"), in)
	if err != nil {
		s.pairFormErr(c, err, gin.H{keyPairFailed: c.Param("pairid"), keyPairEnd: in})
		return
	}
	if err := s.auditPair(c, "end_pair", p); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid")+"#pairs")
}
