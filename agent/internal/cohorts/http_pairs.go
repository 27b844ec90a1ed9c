package cohorts

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/program"
)

// Pairs are peer partner pairs of a cohort and a participant's
// pairing profile.
type Pairs struct{ *web.App }

// auditPair writes a pair's change to the audit log under each partner:
// pairing someone changes their record as much as an update does.
func (s *Pairs) auditPair(c *gin.Context, action string, p store.PairInfo) error {
	for _, x := range p.Partners {
		if err := s.St.Audit(c.Request.Context(), web.CurrentUser(c), action, "participant", x.ID, "cohort "+p.CohortID+" pair "+p.ID); err != nil {
			return err
		}
	}
	return nil
}

// formPair, joinPair and endPair are the pair actions of the API and of
// the cohort page's forms alike: the store's change to the pair of cohort
// :cid, then its audit under each partner.
func (s *Pairs) formPair(c *gin.Context, in store.PairInput) (store.PairInfo, []string, error) {
	p, warnings, err := s.St.Pairs.FormPair(c.Request.Context(), c.Param("cid"), in)
	if err == nil {
		err = s.auditPair(c, "form_pair", p)
	}
	return p, warnings, err
}

func (s *Pairs) joinPair(c *gin.Context, in store.JoinPairInput) (store.PairInfo, []string, error) {
	p, warnings, err := s.St.Pairs.JoinPair(c.Request.Context(), c.Param("cid"), c.Param("pairid"), in)
	if err == nil {
		err = s.auditPair(c, "join_pair", p)
	}
	return p, warnings, err
}

func (s *Pairs) endPair(c *gin.Context, in store.EndPairInput) (store.PairInfo, error) {
	p, err := s.St.Pairs.EndPair(c.Request.Context(), c.Param("cid"), c.Param("pairid"), in)
	if err == nil {
		err = s.auditPair(c, "end_pair", p)
	}
	return p, err
}

func (s *Pairs) APICohortPairs(c *gin.Context) {
	v, err := s.St.Pairs.CohortPairs(c.Request.Context(), c.Param("cid"))
	s.Reply(c, http.StatusOK, v, err)
}

func (s *Pairs) APIFormPair(c *gin.Context) {
	var in store.PairInput
	if !web.BindJSON(c, &in) {
		return
	}
	p, warnings, err := s.formPair(c, in)
	if err != nil {
		s.Respond(c, web.NotFound(err, "No such cohort."))
		return
	}
	c.Header("Location", "/api/v1/cohorts/"+p.CohortID+"/pairs")
	c.JSON(http.StatusCreated, gin.H{"pair": p, "warnings": warnings})
}

func (s *Pairs) APIJoinPair(c *gin.Context) {
	var in store.JoinPairInput
	if !web.BindJSON(c, &in) {
		return
	}
	p, warnings, err := s.joinPair(c, in)
	s.Reply(c, http.StatusOK, gin.H{"pair": p, "warnings": warnings}, web.NotFound(err, "No such pair in this cohort."))
}

func (s *Pairs) APIEndPair(c *gin.Context) {
	var in store.EndPairInput
	if !web.BindJSON(c, &in) {
		return
	}
	p, err := s.endPair(c, in)
	s.Reply(c, http.StatusOK, p, web.NotFound(err, "No such pair in this cohort."))
}

func pairingProfileView(p store.PairingProfile) gin.H {
	var updated *time.Time
	if !p.UpdatedAt.IsZero() {
		updated = &p.UpdatedAt
	}
	return gin.H{"participant_id": p.ParticipantID, "interests": p.InterestList(), "gender": p.Gender, "notes": p.Notes, "updated_at": updated}
}

func (s *Pairs) APIPairingProfile(c *gin.Context) {
	p, err := s.St.Pairs.PairingProfileOf(c.Request.Context(), c.Param("id"))
	s.Reply(c, http.StatusOK, pairingProfileView(p), err)
}

func (s *Pairs) APISavePairingProfile(c *gin.Context) {
	var in store.PairingProfileInput
	if !web.BindJSON(c, &in) {
		return
	}
	p, err := s.St.Pairs.SavePairingProfile(c.Request.Context(), c.Param("id"), in)
	s.Reply(c, http.StatusOK, pairingProfileView(p), err)
}

func (s *Pairs) APIParticipantPairs(c *gin.Context) {
	ps, err := s.St.Pairs.ParticipantPairs(c.Request.Context(), c.Param("id"))
	s.Reply(c, http.StatusOK, ps, err)
}

// Data keys the pairing profile form uses to show its errors again (on
// the participant page's outings section).
const (
	KeyProfileErrors = "ProfileErrors"
	KeyProfileForm   = "ProfileForm"
)

// ProfileForm is the pairing profile form with what was entered.
type ProfileForm struct {
	Interests, Gender, Notes string
}

// WithoutSelf leaves the participant whose page it is out of their pairs.
func WithoutSelf(rows []PairRow, id string) []PairRow {
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

func (s *Pairs) PairingProfileSubmit(c *gin.Context) {
	f := ProfileForm{Interests: c.PostForm("interests"), Gender: c.PostForm("gender"), Notes: c.PostForm("notes")}
	in := store.PairingProfileInput{Interests: strings.Split(f.Interests, ","), Gender: f.Gender, Notes: f.Notes}
	if _, err := s.St.Pairs.SavePairingProfile(c.Request.Context(), c.Param("id"), in); err != nil {
		s.ParticipantFormErr(c, err, KeyProfileErrors, gin.H{KeyProfileForm: f})
		return
	}
	c.Redirect(http.StatusSeeOther, web.SectionRedirect(c.Param("id"), web.TabOutings, "", "pairing"))
}

// partnerCell is a partner as the pages show them.
type partnerCell struct {
	ID, Name, Stage string
	Left            bool
}

func partnerCells(ps []store.Partner) []partnerCell {
	out := make([]partnerCell, len(ps))
	for i, p := range ps {
		out[i] = partnerCell{ID: p.ID, Name: p.Name, Stage: web.StageLabel(p.Stage), Left: !p.Member}
	}
	return out
}

// endForm is the form that ends a pair, with what was entered.
type endForm struct {
	EndedOn, Note string
	Reasons       []web.Option
	Open          bool
	// Errors are the form's mistakes, when it was the one sent.
	Errors map[string]string
}

// PairRow is a pair as the pages show it.
type PairRow struct {
	ID, CohortID, CohortName, FormedOn, EndedOn, Reason, Note string
	Partners                                                  []partnerCell
	Warnings                                                  []string
	End                                                       endForm
}

func PairRows(ps []store.PairInfo, today string, failed string, form store.EndPairInput) []PairRow {
	out := make([]PairRow, len(ps))
	for i, p := range ps {
		r := PairRow{ID: p.ID, CohortID: p.CohortID, CohortName: p.CohortName, FormedOn: p.FormedOn, EndedOn: p.EndedOn, Note: p.EndNote,
			Partners: partnerCells(p.Partners), Warnings: p.Warnings}
		if p.EndReason != "" {
			r.Reason = rules.EndReasonLabel(p.EndReason)
		}
		r.End = endForm{EndedOn: today, Reasons: web.Options(rules.EndReasons, rules.EndReasonLabel, "")}
		if p.ID == failed {
			r.End = endForm{EndedOn: form.EndedOn, Note: form.Note, Reasons: web.Options(rules.EndReasons, rules.EndReasonLabel, form.Reason), Open: true}
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
	Current      []PairRow
	Unpaired     []partnerCell
	Suggestions  []suggestionRow
	LeftUnpaired string
	History      []PairRow
	Errors       map[string]string
	// Order names the fields of the form that failed, with their ids,
	// for the error summary.
	Order string
	Form  pairForm
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

func (s *Pairs) CohortPairsSection(c *gin.Context, v store.CohortView, data gin.H) error {
	if v.Cohort.Model != program.ModelPeerPartners {
		return nil
	}
	pv, err := s.St.Pairs.CohortPairs(c.Request.Context(), v.Cohort.ID)
	if err != nil {
		return err
	}
	today := s.St.Now().Format("2006-01-02")
	failed, _ := data[keyPairFailed].(string)
	endIn, _ := data[keyPairEnd].(store.EndPairInput)
	sec := pairsSection{MixedPairs: pv.MixedPairs, TrioAllowed: pv.TrioAllowed, Advice: pv.Advice, Current: PairRows(pv.Current, today, failed, endIn),
		Unpaired: partnerCells(pv.Unpaired), History: PairRows(pv.History, today, "", store.EndPairInput{}), Form: pairForm{FormedOn: today}}
	if f, ok := data[keyPairForm].(pairForm); ok {
		sec.Form = f
	}
	if e, ok := data[keyPairErrors].(map[string]string); ok {
		sec.Errors = e
		sec.Order = "participant=pair_a participant_ids=pair_a participant_id=pair_a formed_on=pair_formed_on joined_on=pair-suggestions pair=pairs-heading"
		for i := range sec.Current {
			if r := &sec.Current[i]; r.ID == failed {
				r.End.Errors = e
				sec.Order = "reason=end-" + r.ID + "-reason ended_on=end-" + r.ID + "-on note=end-" + r.ID + "-note pair=pair-" + r.ID
			}
		}
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
func (s *Pairs) pairFormErr(c *gin.Context, err error, data gin.H) {
	fe, ok := web.FieldErrors(c, err)
	if !ok {
		if !errors.Is(err, store.ErrNotFound) {
			s.Respond(c, err)
			return
		}
		fe = map[string]string{"pair": "There is no such pair in this cohort."}
	}
	data[keyPairErrors] = fe
	s.ShowCohort(c, http.StatusUnprocessableEntity, data)
}

func (s *Pairs) FormPairSubmit(c *gin.Context) {
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

func (s *Pairs) JoinPairSubmit(c *gin.Context) {
	in := store.JoinPairInput{ParticipantID: c.PostForm("participant_id"), JoinedOn: c.PostForm("joined_on")}
	if _, _, err := s.joinPair(c, in); err != nil {
		s.pairFormErr(c, err, gin.H{})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid")+"#pairs")
}

func (s *Pairs) EndPairSubmit(c *gin.Context) {
	in := store.EndPairInput{EndedOn: c.PostForm("ended_on"), Reason: c.PostForm("reason"), Note: c.PostForm("note")}
	if _, err := s.endPair(c, in); err != nil {
		s.pairFormErr(c, err, gin.H{keyPairFailed: c.Param("pairid"), keyPairEnd: in})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cohorts/"+c.Param("cid")+"#pairs")
}
