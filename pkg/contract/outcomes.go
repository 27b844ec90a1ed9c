package contract

import (
	"fmt"
	"strings"
)

// Outcome record types: everything the program measures besides the POM
// interview, each a closed, de-identified payload.
const (
	// TypeSurveyResponse is one anonymous satisfaction survey. It names no
	// participant, and its record id is made apart from any participant's.
	TypeSurveyResponse = "survey_response"
	// TypeHospitalization is one participant's hospitalization summary,
	// sent only when the participant consented at intake to have
	// hospitalizations recorded.
	TypeHospitalization = "hospitalization"
	// TypeParticipation is what one participant did in one program month.
	TypeParticipation = "participation"
	// TypeCohortMonth is one cohort's facts in one program month.
	TypeCohortMonth = "cohort_month"
)

// Program models, as the release's theme schedules name them.
const (
	ModelSocialExplorations = "social_explorations"
	ModelPeerPartners       = "peer_partners"
)

// Models lists the program models.
var Models = []string{ModelSocialExplorations, ModelPeerPartners}

// Survey answers, as the release's survey names them.
const (
	AnswerDefinitelyAgree    = "definitely_agree"
	AnswerSomewhatAgree      = "somewhat_agree"
	AnswerSomewhatDisagree   = "somewhat_disagree"
	AnswerDefinitelyDisagree = "definitely_disagree"
)

// SurveyAnswers lists the four answers, the highest rating first.
var SurveyAnswers = []string{AnswerDefinitelyAgree, AnswerSomewhatAgree, AnswerSomewhatDisagree, AnswerDefinitelyDisagree}

// Changes in another service a participant receives.
const (
	ServiceStarted   = "started"
	ServiceStopped   = "stopped"
	ServiceIncreased = "increased"
	ServiceDecreased = "decreased"
)

// ServiceChangeKinds lists the kinds of change.
var ServiceChangeKinds = []string{ServiceStarted, ServiceStopped, ServiceIncreased, ServiceDecreased}

// Services are the other services whose changes are counted. Codes, never
// the name of a provider.
var Services = []string{
	"case_management", "outpatient_therapy", "psychiatric_medication", "crisis_services",
	"day_program", "peer_support", "supported_employment", "housing_support", "other",
}

// OutingStages is the number of social outing stages: 1 with the coach,
// 2 with the coach and a friend, 3 with a friend or the peer partner, 4 on
// their own.
const OutingStages = 4

// maxCount bounds every count in an outcome payload.
const maxCount = 1000

// SurveyResponse is one anonymous satisfaction survey: the calendar year it
// was given, the timepoint (midpoint or closing), the program model of the
// site's cohort it came from when known, the release whose statements it
// answers, and an answer per statement answered (a skipped statement is
// absent). Nothing links it to a participant.
type SurveyResponse struct {
	Year      int               `json:"year"`
	Timepoint string            `json:"timepoint"`
	Model     string            `json:"model,omitempty"`
	Release   string            `json:"release"`
	Answers   map[string]string `json:"answers"`
}

// BeforeCountTop is the largest before_count an agent sends: 3 means "3 or
// more", so that a high count does not single a person out. Hubs accept up
// to 1000 from agents older than the rule and count anything above 3 as 3.
const BeforeCountTop = 3

// TopCodeBefore is the before_count sent for a count of hospitalizations
// before enrollment.
func TopCodeBefore(n int) int { return min(n, BeforeCountTop) }

// Hospitalization is one participant's hospitalizations: the count in the
// two years before enrollment (top-coded, see BeforeCountTop), the program
// month of each hospitalization during the program, the program months
// begun by the last day of the previous month (the exposure, the same day
// for every participant of a site) and the changes in other services
// received while in the program.
//
// In every record type a program month is a calendar month counted from
// the month of enrollment (a cohort's: from the month it started), that
// month being 1, and a month's counts cover the whole calendar month;
// nothing is counted from a participant's day of enrollment (see Program
// months in docs/sync-protocol.md).
type Hospitalization struct {
	ParticipantKey string          `json:"participant_key"`
	EnrollmentYear int             `json:"enrollment_year"`
	AgeBand        string          `json:"age_band"`
	Model          string          `json:"model,omitempty"`
	BeforeCount    int             `json:"before_count"`
	DuringMonths   []int           `json:"during_months"`
	MonthsEnrolled int             `json:"months_enrolled"`
	ServiceChanges []ServiceChange `json:"service_changes"`
}

// ServiceChange is one change in another service, by program month.
type ServiceChange struct {
	Service      string `json:"service"`
	Change       string `json:"change"`
	ProgramMonth int    `json:"program_month"`
}

// Participation is what one participant did in one program month (a
// calendar month, see Hospitalization). CohortKey is the cohort's
// surrogate key ("" when the participant was in no cohort that month;
// agents no longer send it). JournalsDue counts the weeks ending on a
// Sunday of the month, the same for every participant; OutingsByStage
// counts the month's outings at stages 1 to 4.
type Participation struct {
	ParticipantKey    string `json:"participant_key"`
	EnrollmentYear    int    `json:"enrollment_year"`
	AgeBand           string `json:"age_band"`
	Model             string `json:"model,omitempty"`
	CohortKey         string `json:"cohort_key,omitempty"`
	ProgramMonth      int    `json:"program_month"`
	MeetingsHeld      int    `json:"meetings_held"`
	MeetingsAttended  int    `json:"meetings_attended"`
	JournalsDue       int    `json:"journals_due"`
	JournalsCompleted int    `json:"journals_completed"`
	StipendSpentCents int64  `json:"stipend_spent_cents"`
	ReceiptsComplete  bool   `json:"receipts_complete"`
	OutingsByStage    []int  `json:"outings_by_stage"`
}

// CohortMonth is one cohort's facts in one program month. The key is a
// random surrogate made with the cohort, never its name.
type CohortMonth struct {
	CohortKey       string `json:"cohort_key"`
	Model           string `json:"model"`
	StartYear       int    `json:"start_year"`
	ProgramMonth    int    `json:"program_month"`
	Members         int    `json:"members"`
	Pairs           int    `json:"pairs"`
	PairingChanges  int    `json:"pairing_changes"`
	MeetingsHeld    int    `json:"meetings_held"`
	MeetingsOnTheme int    `json:"meetings_on_theme"`
}

func oneOf(field, v string, allowed []string) error {
	for _, a := range allowed {
		if a == v {
			return nil
		}
	}
	return fmt.Errorf("%s %q is not one of %s", field, v, strings.Join(allowed, ", "))
}

func validModel(m string, required bool) error {
	if m == "" && !required {
		return nil
	}
	return oneOf("model", m, Models)
}

func validCount(field string, n int) error {
	if n < 0 || n > maxCount {
		return fmt.Errorf("%s %d out of range 0..%d", field, n, maxCount)
	}
	return nil
}

func validMonth(field string, m int) error {
	if m < 1 || m > 24 {
		return fmt.Errorf("%s %d out of range 1..24", field, m)
	}
	return nil
}

func validRelease(r string) error {
	if r == "" || len(r) > 40 {
		return fmt.Errorf("release is required")
	}
	return nil
}

// person checks the de-identified participant fields every per-participant
// payload carries.
func person(key string, year int, band string) error {
	if !ValidKey(key) {
		return fmt.Errorf("participant_key must be a random (version 4) UUID")
	}
	if err := validYear(year); err != nil {
		return err
	}
	return validBand(band)
}

// Validate checks the payload.
func (p SurveyResponse) Validate() error {
	if p.Year < 2000 || p.Year > 2100 {
		return fmt.Errorf("year %d out of range", p.Year)
	}
	if p.Timepoint != TimepointMidpoint && p.Timepoint != TimepointClosing {
		return fmt.Errorf("timepoint %q is not one of %s, %s", p.Timepoint, TimepointMidpoint, TimepointClosing)
	}
	if err := validModel(p.Model, false); err != nil {
		return err
	}
	if err := validRelease(p.Release); err != nil {
		return err
	}
	if len(p.Answers) == 0 || len(p.Answers) > 40 {
		return fmt.Errorf("answers must hold 1 to 40 statements")
	}
	for code, a := range p.Answers {
		if !ValidCode(code) {
			return fmt.Errorf("statement code %q is malformed", code)
		}
		if err := oneOf("answer", a, SurveyAnswers); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the payload.
func (p Hospitalization) Validate() error {
	if err := person(p.ParticipantKey, p.EnrollmentYear, p.AgeBand); err != nil {
		return err
	}
	if err := validModel(p.Model, false); err != nil {
		return err
	}
	if err := validCount("before_count", p.BeforeCount); err != nil {
		return err
	}
	if p.MonthsEnrolled < 0 || p.MonthsEnrolled > 24 {
		return fmt.Errorf("months_enrolled %d out of range 0..24", p.MonthsEnrolled)
	}
	if len(p.DuringMonths) > maxCount {
		return fmt.Errorf("during_months holds more than %d entries", maxCount)
	}
	for _, m := range p.DuringMonths {
		if err := validMonth("during_months", m); err != nil {
			return err
		}
	}
	if len(p.ServiceChanges) > 100 {
		return fmt.Errorf("service_changes holds more than 100 entries")
	}
	for _, c := range p.ServiceChanges {
		if err := oneOf("service", c.Service, Services); err != nil {
			return err
		}
		if err := oneOf("change", c.Change, ServiceChangeKinds); err != nil {
			return err
		}
		if err := validMonth("program_month", c.ProgramMonth); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the payload.
func (p Participation) Validate() error {
	if err := person(p.ParticipantKey, p.EnrollmentYear, p.AgeBand); err != nil {
		return err
	}
	if err := validModel(p.Model, false); err != nil {
		return err
	}
	if p.CohortKey != "" && !ValidKey(p.CohortKey) {
		return fmt.Errorf("cohort_key must be a random (version 4) UUID")
	}
	if err := validMonth("program_month", p.ProgramMonth); err != nil {
		return err
	}
	for _, c := range []struct {
		f string
		n int
	}{{"meetings_held", p.MeetingsHeld}, {"meetings_attended", p.MeetingsAttended}, {"journals_due", p.JournalsDue}, {"journals_completed", p.JournalsCompleted}} {
		if err := validCount(c.f, c.n); err != nil {
			return err
		}
	}
	if p.MeetingsAttended > p.MeetingsHeld {
		return fmt.Errorf("meetings_attended %d is more than meetings_held %d", p.MeetingsAttended, p.MeetingsHeld)
	}
	if p.JournalsCompleted > p.JournalsDue {
		return fmt.Errorf("journals_completed %d is more than journals_due %d", p.JournalsCompleted, p.JournalsDue)
	}
	if p.StipendSpentCents < 0 || p.StipendSpentCents > 10_000_00 {
		return fmt.Errorf("stipend_spent_cents %d out of range", p.StipendSpentCents)
	}
	if len(p.OutingsByStage) != OutingStages {
		return fmt.Errorf("outings_by_stage must hold %d counts, one per stage", OutingStages)
	}
	for i, n := range p.OutingsByStage {
		if err := validCount(fmt.Sprintf("outings_by_stage[%d]", i), n); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the payload.
func (p CohortMonth) Validate() error {
	if !ValidKey(p.CohortKey) {
		return fmt.Errorf("cohort_key must be a random (version 4) UUID")
	}
	if err := validModel(p.Model, true); err != nil {
		return err
	}
	if err := validYear(p.StartYear); err != nil {
		return fmt.Errorf("start_year: %w", err)
	}
	if err := validMonth("program_month", p.ProgramMonth); err != nil {
		return err
	}
	for _, c := range []struct {
		f string
		n int
	}{{"members", p.Members}, {"pairs", p.Pairs}, {"pairing_changes", p.PairingChanges}, {"meetings_held", p.MeetingsHeld}, {"meetings_on_theme", p.MeetingsOnTheme}} {
		if err := validCount(c.f, c.n); err != nil {
			return err
		}
	}
	if p.MeetingsOnTheme > p.MeetingsHeld {
		return fmt.Errorf("meetings_on_theme %d is more than meetings_held %d", p.MeetingsOnTheme, p.MeetingsHeld)
	}
	if 2*p.Pairs > p.Members+1 {
		return fmt.Errorf("pairs %d cannot be formed from %d members", p.Pairs, p.Members)
	}
	return nil
}
