package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/program"
)

// pairHandlers are peer partner pairs of a cohort and a participant's
// pairing profile.
type pairHandlers struct{ *app }

// auditPair writes a pair's change to the audit log under each partner:
// pairing someone changes their record as much as an update does.
func (s *pairHandlers) auditPair(c *gin.Context, action string, p store.PairInfo) error {
	for _, x := range p.Partners {
		if err := s.st.Audit(c.Request.Context(), currentUser(c), action, "participant", x.ID, "cohort "+p.CohortID+" pair "+p.ID); err != nil {
			return err
		}
	}
	return nil
}

// formPair, joinPair and endPair are the pair actions of the API and of
// the cohort page's forms alike: the store's change to the pair of cohort
// :cid, then its audit under each partner.
func (s *pairHandlers) formPair(c *gin.Context, in store.PairInput) (store.PairInfo, []string, error) {
	p, warnings, err := s.st.FormPair(c.Request.Context(), c.Param("cid"), in)
	if err == nil {
		err = s.auditPair(c, "form_pair", p)
	}
	return p, warnings, err
}

func (s *pairHandlers) joinPair(c *gin.Context, in store.JoinPairInput) (store.PairInfo, []string, error) {
	p, warnings, err := s.st.JoinPair(c.Request.Context(), c.Param("cid"), c.Param("pairid"), in)
	if err == nil {
		err = s.auditPair(c, "join_pair", p)
	}
	return p, warnings, err
}

func (s *pairHandlers) endPair(c *gin.Context, in store.EndPairInput) (store.PairInfo, error) {
	p, err := s.st.EndPair(c.Request.Context(), c.Param("cid"), c.Param("pairid"), in)
	if err == nil {
		err = s.auditPair(c, "end_pair", p)
	}
	return p, err
}

func (s *pairHandlers) apiCohortPairs(c *gin.Context) {
	v, err := s.st.CohortPairs(c.Request.Context(), c.Param("cid"))
	s.reply(c, http.StatusOK, v, err)
}

func (s *pairHandlers) apiFormPair(c *gin.Context) {
	var in store.PairInput
	if !bindJSON(c, &in) {
		return
	}
	p, warnings, err := s.formPair(c, in)
	if err != nil {
		s.respond(c, notFound(err, "No such cohort."))
		return
	}
	c.Header("Location", "/api/v1/cohorts/"+p.CohortID+"/pairs")
	c.JSON(http.StatusCreated, gin.H{"pair": p, "warnings": warnings})
}

func (s *pairHandlers) apiJoinPair(c *gin.Context) {
	var in store.JoinPairInput
	if !bindJSON(c, &in) {
		return
	}
	p, warnings, err := s.joinPair(c, in)
	s.reply(c, http.StatusOK, gin.H{"pair": p, "warnings": warnings}, notFound(err, "No such pair in this cohort."))
}

func (s *pairHandlers) apiEndPair(c *gin.Context) {
	var in store.EndPairInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.endPair(c, in)
	s.reply(c, http.StatusOK, p, notFound(err, "No such pair in this cohort."))
}

func pairingProfileView(p store.PairingProfile) gin.H {
	var updated *time.Time
	if !p.UpdatedAt.IsZero() {
		updated = &p.UpdatedAt
	}
	return gin.H{"participant_id": p.ParticipantID, "interests": p.InterestList(), "gender": p.Gender, "notes": p.Notes, "updated_at": updated}
}

func (s *pairHandlers) apiPairingProfile(c *gin.Context) {
	p, err := s.st.PairingProfileOf(c.Request.Context(), c.Param("id"))
	s.reply(c, http.StatusOK, pairingProfileView(p), err)
}

func (s *pairHandlers) apiSavePairingProfile(c *gin.Context) {
	var in store.PairingProfileInput
	if !bindJSON(c, &in) {
		return
	}
	p, err := s.st.SavePairingProfile(c.Request.Context(), c.Param("id"), in)
	s.reply(c, http.StatusOK, pairingProfileView(p), err)
}

func (s *pairHandlers) apiParticipantPairs(c *gin.Context) {
	ps, err := s.st.ParticipantPairs(c.Request.Context(), c.Param("id"))
	s.reply(c, http.StatusOK, ps, err)
}

// profileForm is the pairing profile form with what was entered.
type profileForm struct {
	Interests, Gender, Notes string
}

// withoutSelf leaves the participant whose page it is out of their pairs.
func withoutSelf(rows []pairRow, id string) []pairRow {
	for i := range rows {
		kept := rows[i].Partners[:0:0]
		for _, p := range rows[i].Partners {
			if p.ID != id {
				kept = append(kept, p)
			}
		}
		rows[i].Partners = kept
	}
	return rows
}

func (s *pairHandlers) pairingProfileSubmit(c *gin.Context) {
	f := profileForm{Interests: c.PostForm("interests"), Gender: c.PostForm("gender"), Notes: c.PostForm("notes")}
	in := store.PairingProfileInput{Interests: strings.Split(f.Interests, ","), Gender: f.Gender, Notes: f.Notes}
	if _, err := s.st.SavePairingProfile(c.Request.Context(), c.Param("id"), in); err != nil {
		s.participantFormErr(c, err, keyProfileErrors, gin.H{keyProfileForm: f})
		return
	}
	c.Redirect(http.StatusSeeOther, "/participants/"+c.Param("id")+"#pairing")
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

func (s *pairHandlers) cohortPairsSection(c *gin.Context, v store.CohortView, data gin.H) error {
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
func (s *pairHandlers) pairFormErr(c *gin.Context, err error, data gin.H) {
	fe, ok := fieldErrors(err)
	if !ok {
		if !errors.Is(err, store.ErrNotFound) {
			s.respond(c, err)
			return
		}
		fe = map[string]string{"pair": "There is no such pair in this cohort."}
	}
	data[keyPairErrors] = fe
	s.showCohort(c, http.StatusUnprocessableEntity, data)
}

func (s *pairHandlers) formPairSubmit(c *gin.Context) {
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
	if _, _, err := s.formPair(c, store.PairInput{ParticipantIDs: ids, FormedOn: f.FormedOn}); err != nil {
		s.pairFormErr(c, err, gin.H{keyPairForm: f})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid")+"#pairs")
}

func (s *pairHandlers) joinPairSubmit(c *gin.Context) {
	in := store.JoinPairInput{ParticipantID: c.PostForm("participant_id"), JoinedOn: c.PostForm("joined_on")}
	if _, _, err := s.joinPair(c, in); err != nil {
		s.pairFormErr(c, err, gin.H{})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid")+"#pairs")
}

func (s *pairHandlers) endPairSubmit(c *gin.Context) {
	in := store.EndPairInput{EndedOn: c.PostForm("ended_on"), Reason: c.PostForm("reason"), Note: c.PostForm("note")}
	if _, err := s.endPair(c, in); err != nil {
		s.pairFormErr(c, err, gin.H{keyPairFailed: c.Param("pairid"), keyPairEnd: in})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid")+"#pairs")
}
