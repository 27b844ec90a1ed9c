// Package program defines the central program content that travels from the
// hub to every site as versioned, immutable releases: the POM instrument
// (indicators as data with stable codes), the monthly theme schedule per
// program model, the skill sets, the lesson plans per theme, the guided
// journal prompts, the satisfaction survey and the stipend policy.
//
// Sites never author this content; they run the release the hub published
// and say which one they run.
package program

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/jsonx"
)

// Program models.
const (
	ModelSocialExplorations = "social_explorations"
	ModelPeerPartners       = "peer_partners"
)

// Release is one version of the central content.
type Release struct {
	Version string          `json:"version"`
	Title   string          `json:"title"`
	POM     Instrument      `json:"pom"`
	Themes  []ThemeSchedule `json:"themes"`
	Skills  []Skill         `json:"skills"`
	// LessonPlans are the plans a coach picks from for a meeting, per
	// theme. omitempty keeps the canonical form, and so the checksum, of
	// releases published before lesson plans existed.
	LessonPlans    []LessonPlan  `json:"lesson_plans,omitempty"`
	JournalPrompts []Item        `json:"journal_prompts"`
	Survey         Survey        `json:"survey"`
	Stipend        StipendPolicy `json:"stipend"`
	Groups         GroupRules    `json:"peer_partner_groups"`
	// Files are the worksheets, handouts and handbooks the release
	// attaches, each named by the SHA-256 of its bytes. omitempty keeps the
	// checksum of releases published before files existed.
	Files []File `json:"files,omitempty"`
	// Privacy sets the rules agents apply to what leaves a site; absent,
	// the defaults (see MinGroup). omitempty keeps the checksum of releases
	// published before it existed.
	Privacy *Privacy `json:"privacy,omitempty"`
}

// DefaultMinGroup is k when a release does not set it: every combination
// of site, enrollment year, age band and program model the hub receives
// holds at least this many participants.
const DefaultMinGroup = 5

// MaxMinGroup bounds k: a larger group is no longer a rule a site can meet.
const MaxMinGroup = 50

// Privacy is the de-identification a release asks of agents.
type Privacy struct {
	// MinGroup is k: the fewest participants of a site that may share
	// each enrollment year, age band and program model the hub receives
	// (see docs/privacy.md). 1 turns the rule off (tests only).
	MinGroup int `json:"min_group"`
}

// MinGroup is the release's k, DefaultMinGroup when it sets none.
func (r Release) MinGroup() int {
	if r.Privacy == nil || r.Privacy.MinGroup == 0 {
		return DefaultMinGroup
	}
	return r.Privacy.MinGroup
}

// File kinds.
const (
	FileWorksheet = "worksheet"
	FileHandout   = "handout"
	FileHandbook  = "handbook"
)

// FileKinds lists the kinds of attached file.
var FileKinds = []string{FileWorksheet, FileHandout, FileHandbook}

// File is a document a release attaches: a worksheet or handout of a
// lesson plan, or a handbook of the program. The bytes travel separately,
// fetched by their SHA-256, which the release names.
type File struct {
	SHA256     string `json:"sha256"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	MediaType  string `json:"media_type"`
	Size       int64  `json:"size"`
	LessonPlan string `json:"lesson_plan,omitempty"`
}

// FilesFor returns the files attached to a lesson plan.
func (r Release) FilesFor(plan string) []File {
	var out []File
	for _, f := range r.Files {
		if f.LessonPlan == plan {
			out = append(out, f)
		}
	}
	return out
}

// GroupRules bound a Peer Partners group: its size and whether it must be
// even (everyone is paired with a peer partner).
type GroupRules struct {
	Min  int  `json:"min"`
	Max  int  `json:"max"`
	Even bool `json:"even"`
}

// Instrument is an interview instrument such as the POM indicator set.
type Instrument struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Items []Item `json:"items"`
}

// Item is one indicator, statement or prompt with a stable code.
type Item struct {
	Code   string `json:"code"`
	Number int    `json:"number,omitempty"`
	Text   string `json:"text"`
}

// ThemeSchedule is the year's monthly themes for one model.
type ThemeSchedule struct {
	Model  string  `json:"model"`
	Months []Theme `json:"months"`
}

// Theme is a month's theme.
type Theme struct {
	Month int    `json:"month"`
	Code  string `json:"code"`
	Title string `json:"title"`
}

// Skill is a skill set covered by lesson plans.
type Skill struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Core bool   `json:"core"`
}

// LessonPlan is one lesson a coach can choose for a meeting in a month
// with its theme: the skills it builds and what the meeting does.
type LessonPlan struct {
	Code    string   `json:"code"`
	Theme   string   `json:"theme"`
	Title   string   `json:"title"`
	Skills  []string `json:"skills"`
	Summary string   `json:"summary"`
}

// Survey is the anonymous satisfaction survey.
type Survey struct {
	Code       string `json:"code"`
	Answers    []Item `json:"answers"`
	Statements []Item `json:"statements"`
}

// StipendPolicy sets the monthly social stipend and its conditions.
type StipendPolicy struct {
	MonthlyCents     int64    `json:"monthly_cents"`
	Currency         string   `json:"currency"`
	RequireJournals  bool     `json:"require_journals"`
	RequireReceipts  bool     `json:"require_receipts"`
	MaxReceiptBytes  int64    `json:"max_receipt_bytes"`
	ReceiptMIMETypes []string `json:"receipt_mime_types"`
}

//go:embed default_release.json
var defaultRelease []byte

// Default returns the first release, built from the program's own material.
func Default() Release { return defaultParsed() }

// defaultParsed parses the embedded release once. A Release holds slices,
// which callers only read.
var defaultParsed = sync.OnceValue(func() Release {
	r, err := Parse(defaultRelease)
	if err != nil {
		panic("program: embedded default release is invalid: " + err.Error())
	}
	return r
})

// ParseReceived decodes and validates a release an agent received. Unlike
// Parse it ignores fields it does not know: a newer hub may publish content
// an older agent cannot use yet, which must not stop the agent from running
// the rest.
func ParseReceived(b []byte) (Release, error) {
	var r Release
	if err := jsonx.UnmarshalNewer(b, &r); err != nil {
		return r, fmt.Errorf("release: %w", err)
	}
	return r, r.Validate()
}

// Parse decodes and validates a release strictly, refusing unknown fields:
// what a hub publishes must be exactly what this version understands.
func Parse(b []byte) (Release, error) {
	var r Release
	if err := jsonx.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("release: %w", err)
	}
	return r, r.Validate()
}

// Validate checks codes are well formed and unique and the schedule is whole.
func (r Release) Validate() error {
	if r.Version == "" {
		return fmt.Errorf("release: version is required")
	}
	if len(r.POM.Items) == 0 {
		return fmt.Errorf("release: the POM instrument has no indicators")
	}
	for name, items := range map[string][]Item{"POM indicator": r.POM.Items, "survey statement": r.Survey.Statements, "survey answer": r.Survey.Answers, "journal prompt": r.JournalPrompts} {
		seen := map[string]bool{}
		for _, it := range items {
			if !contract.ValidCode(it.Code) {
				return fmt.Errorf("release: %s code %q is malformed", name, it.Code)
			}
			if seen[it.Code] {
				return fmt.Errorf("release: %s code %q appears twice", name, it.Code)
			}
			seen[it.Code] = true
		}
	}
	themes := map[string]bool{}
	for _, s := range r.Themes {
		for _, m := range s.Months {
			themes[m.Code] = true
		}
		if len(s.Months) != 12 {
			return fmt.Errorf("release: the %s schedule has %d months, want 12", s.Model, len(s.Months))
		}
		for i, m := range s.Months {
			if m.Month != i+1 {
				return fmt.Errorf("release: the %s schedule is out of order at month %d", s.Model, m.Month)
			}
		}
	}
	if err := r.validatePlans(themes); err != nil {
		return err
	}
	if err := r.validateFiles(); err != nil {
		return err
	}
	if r.Stipend.MonthlyCents < 0 {
		return fmt.Errorf("release: the stipend cannot be negative")
	}
	if r.Groups.Min < 2 || r.Groups.Max < r.Groups.Min {
		return fmt.Errorf("release: Peer Partners groups need at least 2 members and a maximum no smaller than the minimum")
	}
	if r.Privacy != nil && (r.Privacy.MinGroup < 1 || r.Privacy.MinGroup > MaxMinGroup) {
		return fmt.Errorf("release: privacy.min_group must be from 1 to %d", MaxMinGroup)
	}
	return nil
}

// validatePlans checks the skills' codes, and that every lesson plan has a
// well-formed unique code, a theme of a schedule, a title and at least one
// skill of the release, each once.
func (r Release) validatePlans(themes map[string]bool) error {
	skills := map[string]bool{}
	for _, s := range r.Skills {
		if !contract.ValidCode(s.Code) {
			return fmt.Errorf("release: skill code %q is malformed", s.Code)
		}
		if skills[s.Code] {
			return fmt.Errorf("release: skill code %q appears twice", s.Code)
		}
		skills[s.Code] = true
	}
	seen := map[string]bool{}
	for _, p := range r.LessonPlans {
		if !contract.ValidCode(p.Code) {
			return fmt.Errorf("release: lesson plan code %q is malformed", p.Code)
		}
		if seen[p.Code] {
			return fmt.Errorf("release: lesson plan code %q appears twice", p.Code)
		}
		seen[p.Code] = true
		if !themes[p.Theme] {
			return fmt.Errorf("release: lesson plan %q is for theme %q, which no schedule has", p.Code, p.Theme)
		}
		if strings.TrimSpace(p.Title) == "" {
			return fmt.Errorf("release: lesson plan %q has no title", p.Code)
		}
		if len(p.Skills) == 0 {
			return fmt.Errorf("release: lesson plan %q names no skill", p.Code)
		}
		own := map[string]bool{}
		for _, sk := range p.Skills {
			if !skills[sk] {
				return fmt.Errorf("release: lesson plan %q names skill %q, which is not a skill of the release", p.Code, sk)
			}
			if own[sk] {
				return fmt.Errorf("release: lesson plan %q names skill %q twice", p.Code, sk)
			}
			own[sk] = true
		}
	}
	return nil
}

// validateFiles checks each attached file names its bytes by a SHA-256, has
// a name, a known kind, a media type and a size, and belongs to a lesson
// plan of the release when it names one.
func (r Release) validateFiles() error {
	seen := map[string]bool{}
	for _, f := range r.Files {
		if !ValidSHA256(f.SHA256) {
			return fmt.Errorf("release: file %q is not named by a SHA-256 (64 lower-case hex digits)", f.Name)
		}
		if strings.TrimSpace(f.Name) == "" || len(f.Name) > 200 {
			return fmt.Errorf("release: file %s has no name (or one longer than 200 characters)", f.SHA256)
		}
		if !slices.Contains(FileKinds, f.Kind) {
			return fmt.Errorf("release: file %q is of kind %q; the kinds are %s", f.Name, f.Kind, strings.Join(FileKinds, ", "))
		}
		if f.MediaType == "" || f.Size <= 0 {
			return fmt.Errorf("release: file %q needs a media type and a size", f.Name)
		}
		if f.LessonPlan != "" {
			if _, ok := r.LessonPlan(f.LessonPlan); !ok {
				return fmt.Errorf("release: file %q is attached to lesson plan %q, which the release does not have", f.Name, f.LessonPlan)
			}
		}
		key := f.SHA256 + "/" + f.LessonPlan
		if seen[key] {
			return fmt.Errorf("release: file %q is attached twice to the same place", f.Name)
		}
		seen[key] = true
	}
	return nil
}

// ValidSHA256 reports whether s is a SHA-256 in lower-case hex.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Canonical returns the release's canonical JSON and its SHA-256.
func (r Release) Canonical() ([]byte, string) {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // a Release always marshals
	}
	s := sha256.Sum256(b)
	return b, hex.EncodeToString(s[:])
}

// Named reports whether the release names a POM indicator: gives it its
// number in the POM instrument (1 to 21). An indicator without a number
// (the program's thirteenth, which its material does not name) is in the
// release as a placeholder only: it is not asked at interviews, shown,
// imported, reported or sent to the hub until a later release names it.
func (it Item) Named() bool { return it.Number > 0 }

// Asked returns the POM indicators the release names (see Item.Named), in
// the release's order: those an interview asks and a report shows.
func (r Release) Asked() []Item {
	out := make([]Item, 0, len(r.POM.Items))
	for _, it := range r.POM.Items {
		if it.Named() {
			out = append(out, it)
		}
	}
	return out
}

// AskedIndicator returns the named POM indicator with a code (false for
// an unknown code and for an indicator the release does not name).
func (r Release) AskedIndicator(code string) (Item, bool) {
	it, ok := r.Indicator(code)
	return it, ok && it.Named()
}

// Indicator returns the POM indicator with a code.
func (r Release) Indicator(code string) (Item, bool) {
	for _, it := range r.POM.Items {
		if it.Code == code {
			return it, true
		}
	}
	return Item{}, false
}

// Skill returns the skill with a code.
func (r Release) Skill(code string) (Skill, bool) {
	for _, s := range r.Skills {
		if s.Code == code {
			return s, true
		}
	}
	return Skill{}, false
}

// LessonPlan returns the lesson plan with a code.
func (r Release) LessonPlan(code string) (LessonPlan, bool) {
	for _, p := range r.LessonPlans {
		if p.Code == code {
			return p, true
		}
	}
	return LessonPlan{}, false
}

// PlansFor returns the lesson plans for a theme, in the release's order.
func (r Release) PlansFor(theme string) []LessonPlan {
	var out []LessonPlan
	for _, p := range r.LessonPlans {
		if p.Theme == theme {
			out = append(out, p)
		}
	}
	return out
}

// Schedule returns the theme schedule of a model.
func (r Release) Schedule(model string) (ThemeSchedule, bool) {
	for _, s := range r.Themes {
		if s.Model == model {
			return s, true
		}
	}
	return ThemeSchedule{}, false
}

// Codes returns the codes of the release that upstream records may carry:
// its POM indicators and its survey statements.
func (r Release) Codes() contract.ReleaseCodes {
	c := contract.ReleaseCodes{Indicators: map[string]bool{}, Statements: map[string]bool{}}
	for _, it := range r.POM.Items {
		c.Indicators[it.Code] = true
	}
	for _, it := range r.Survey.Statements {
		c.Statements[it.Code] = true
	}
	return c
}
