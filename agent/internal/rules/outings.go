package rules

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Social outing stages: the participant goes out first with the coach, then
// with the coach and a friend (the coach as a role model), then with a
// friend or their peer partner (the coach pulls away), and at last on their
// own.
const (
	StageWithCoach           = 1
	StageWithCoachAndFriend  = 2
	StageWithFriendOrPartner = 3
	StageOnTheirOwn          = 4
)

// Stages lists the stages in order.
var Stages = []int{StageWithCoach, StageWithCoachAndFriend, StageWithFriendOrPartner, StageOnTheirOwn}

// StageName says what a stage is ("" for none).
func StageName(stage int) string { return labelOr(stageNames, stage, "") }

var stageNames = map[int]string{StageWithCoach: "with the coach", StageWithCoachAndFriend: "with the coach and a friend",
	StageWithFriendOrPartner: "with a friend or the peer partner", StageOnTheirOwn: "on their own"}

// ValidStage reports whether n is one of the four stages.
func ValidStage(n int) bool { return n >= StageWithCoach && n <= StageOnTheirOwn }

// MaxOutingCostCents bounds the cost of one outing: a typo guard, well
// above what a month's stipend pays for.
const MaxOutingCostCents = 100000

// OutingFacts is an outing as recorded, with what the store knows around it.
type OutingFacts struct {
	Date       time.Time
	Today      time.Time
	EnrolledOn time.Time
	Activity   string
	Stage      int
	CostCents  int64
	GoalID     string
	// PartnerID is the peer partner who came along ("" for none);
	// PartnerWasPaired tells whether the two were partners on Date.
	PartnerID        string
	PartnerWasPaired bool
	ParticipantID    string
}

// CheckOuting lists what is wrong with an outing. Date is zero when the
// date could not be read.
func (o OutingFacts) CheckOuting() Problems {
	var p Problems
	switch {
	case o.Date.IsZero():
		p = append(p, Problem{"date", "Enter a date such as 2026-03-04"})
	case o.Date.After(o.Today):
		p = append(p, Problem{"date", "Enter a day no later than today"})
	case o.Date.Before(o.EnrolledOn):
		p = append(p, Problem{"date", "is before the participant's enrollment on " + o.EnrolledOn.Format("Mon 2 Jan 2006") + ": enter the day of the outing, on or after that day"})
	}
	if a := strings.TrimSpace(o.Activity); a == "" || len(a) > 200 {
		p = append(p, Problem{"activity", "say what the outing was (at most 200 characters)"})
	}
	if !ValidStage(o.Stage) {
		p = append(p, Problem{"stage", "must be 1 (with the coach), 2 (with the coach and a friend), 3 (with a friend or the peer partner) or 4 (on their own)"})
	}
	switch {
	case o.CostCents < 0:
		p = append(p, Problem{"cost_cents", "cannot be negative"})
	case o.CostCents > MaxOutingCostCents:
		p = append(p, Problem{"cost_cents", fmt.Sprintf("is more than $%d for one outing; check the amount", MaxOutingCostCents/100)})
	}
	if len(o.GoalID) > 64 {
		p = append(p, Problem{"goal_id", "is not a goal id (at most 64 characters)"})
	}
	if o.PartnerID != "" {
		switch {
		case o.PartnerID == o.ParticipantID:
			p = append(p, Problem{"partner_id", "is the participant themself"})
		case o.Stage == StageWithCoach || o.Stage == StageOnTheirOwn:
			p = append(p, Problem{"partner_id", "a peer partner comes along only at stage 2 (as the friend) or 3; stage " + fmt.Sprint(o.Stage) + " is " + StageName(o.Stage)})
		case !o.PartnerWasPaired:
			p = append(p, Problem{"partner_id", "was not the participant's peer partner on that date"})
		}
	}
	return p
}

// OutingPoint is an outing as progression sees it.
type OutingPoint struct {
	Date  time.Time
	Stage int
}

// RecentOutings is how many of the latest outings make up the current
// stage.
const RecentOutings = 3

// CurrentStage is where a participant stands in the outing stages: the
// highest stage among their RecentOutings latest outings by date, every
// outing on the date of the RecentOutings-th latest counting too (so the
// order outings were entered in does not matter). A single stage-4 outing
// among the latest three makes the participant stage 4; going back to the
// coach three times running brings the stage down again. 0 when the
// participant has had no outing.
func CurrentStage(outings []OutingPoint) int {
	if len(outings) == 0 {
		return 0
	}
	os := append([]OutingPoint(nil), outings...)
	sort.SliceStable(os, func(i, j int) bool { return os[i].Date.After(os[j].Date) })
	cut := os[min(RecentOutings, len(os))-1].Date
	best := 0
	for _, o := range os {
		if o.Date.Before(cut) {
			break
		}
		best = max(best, o.Stage)
	}
	return best
}

// MonthStage is one program month of a participant's outings.
type MonthStage struct {
	Month int `json:"month"`
	// Highest is the highest stage of the month's outings, 0 when there
	// were none.
	Highest int `json:"highest_stage"`
	Outings int `json:"outings"`
}

// ProgramYear is the number of months a participant's progression shows
// at least.
const ProgramYear = 12

// Progression is the highest stage reached in each program month (counted
// from the enrollment date, see ProgramMonth), from month 1 to month 12 or
// the month of the latest outing if later.
func Progression(enrolled time.Time, outings []OutingPoint) []MonthStage {
	months := ProgramYear
	for _, o := range outings {
		months = max(months, ProgramMonth(enrolled, o.Date))
	}
	out := make([]MonthStage, months)
	for i := range out {
		out[i].Month = i + 1
	}
	for _, o := range outings {
		m := &out[ProgramMonth(enrolled, o.Date)-1]
		m.Outings++
		m.Highest = max(m.Highest, o.Stage)
	}
	return out
}
