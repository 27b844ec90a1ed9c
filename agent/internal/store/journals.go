package store

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/pkg/i18n"
)

// JournalEntry is a participant's guided journal for one week, entered by
// staff on the participant's behalf or by the participant themself
// (EnteredByKind; EnteredBy is then the staff account's or the
// participant's id), and reviewed by the coach. The answers are free text
// and stay at the site. (The stipend's eligibility reads this table; its
// columns are fixed by migrations 0003 and 0007.)
type JournalEntry struct {
	ID            string     `json:"id"`
	ParticipantID string     `json:"participant_id"`
	WeekStart     string     `json:"week_start"`
	Answers       string     `json:"-"`
	EnteredBy     string     `json:"entered_by"`
	EnteredByKind string     `json:"entered_by_kind"`
	EnteredAt     time.Time  `json:"entered_at"`
	ReviewedBy    string     `json:"reviewed_by"`
	ReviewedAt    *time.Time `json:"reviewed_at"`
}

// TableName names the table.
func (JournalEntry) TableName() string { return "journal_entries" }

// AnswersOf decodes an entry's answers (prompt code to text).
func (e JournalEntry) AnswersOf() map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(e.Answers), &m)
	return m
}

// ErrNoJournal is returned when a week has no journal entry.
var ErrNoJournal = errors.New("there is no journal entry for this week")

// SaveJournal enters a participant's guided journal for the week starting
// on week (a Monday, YYYY-MM-DD), answering the release's prompts; entering
// a week again replaces its entry, which then awaits review again.
func (s *journalStore) SaveJournal(ctx context.Context, participantID, week, enteredBy string, answers map[string]string) (JournalEntry, error) {
	return s.saveJournal(ctx, participantID, week, enteredBy, EnteredByStaff, answers)
}

// SaveOwnJournal is a participant entering their own journal for a week.
// They fill in a week without an entry, or change their own entry until
// the coach has reviewed it; an entry staff made, or one reviewed, stays
// as it is. Their entry awaits the coach's review like any other.
func (s *journalStore) SaveOwnJournal(ctx context.Context, participantID, week string, answers map[string]string) (JournalEntry, error) {
	return s.saveJournal(ctx, participantID, week, participantID, EnteredByParticipant, answers)
}

func (s *journalStore) saveJournal(ctx context.Context, participantID, week, enteredBy, kind string, answers map[string]string) (JournalEntry, error) {
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return JournalEntry{}, err
	}
	var errs ValidationErrors
	kept := map[string]string{}
	for code, text := range answers {
		text = strings.TrimSpace(text)
		known := false
		for _, p := range rel.JournalPrompts {
			known = known || p.Code == code
		}
		switch {
		case !known:
			errs = append(errs, ValidationError{Field: "answers." + code, Msg: "This answer is to a question the journal of release " + rel.Version + " does not ask: reload the page and answer the questions it shows"})
		case utf8.RuneCountInString(text) > rules.MaxJournalAnswer:
			errs = append(errs, ValidationError{Field: "answers." + code, Msg: i18n.M("Use at most 4000 characters")})
		case text != "":
			kept[code] = text
		}
	}
	if len(kept) == 0 && len(errs) == 0 {
		errs = append(errs, ValidationError{Field: "answers", Msg: i18n.M("Answer at least one of the journal's questions")})
	}
	day, ok := parseDate(week)
	if !ok {
		errs = append(errs, ValidationError{Field: "week_start", Msg: "Enter the week's Monday, such as 2026-03-02"})
	}
	var e JournalEntry
	err = s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Participant
		if err := tx.First(&p, "id = ?", participantID).Error; err != nil {
			return notFound(err)
		}
		if p.WithdrawnAt != nil {
			return &ValidationError{Field: "participant", Msg: i18n.M("The participant has withdrawn, so no journal can be entered")}
		}
		if ok {
			enrolled, _ := parseDate(p.EnrolledOn)
			errs = append(errs, problemsToFields(rules.CheckJournalWeek(day, enrolled, s.st.Now()))...)
		}
		if len(errs) > 0 {
			sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
			return errs
		}
		if err := tx.Limit(1).Find(&e, "participant_id = ? AND week_start = ?", participantID, week).Error; err != nil {
			return err
		}
		if e.ID == "" {
			e = JournalEntry{ID: uuid.NewString(), ParticipantID: participantID, WeekStart: week}
		} else if kind == EnteredByParticipant {
			if msg := ownEntryLocked(e); msg != "" {
				return &ValidationError{Field: "week_start", Msg: msg}
			}
		}
		e.Answers, e.EnteredBy, e.EnteredByKind, e.EnteredAt, e.ReviewedBy, e.ReviewedAt = mustJSON(kept), enteredBy, kind, s.st.Now(), "", nil
		if err := tx.Save(&e).Error; err != nil {
			return err
		}
		return s.st.Participants.refreshUpstream(tx, participantID)
	})
	return e, err
}

// ownEntryLocked says why a participant cannot change a week's entry
// ("" when they can).
func ownEntryLocked(e JournalEntry) string {
	switch {
	case e.ReviewedAt != nil:
		return i18n.M("your coach has already reviewed this week's entry; it can no longer be changed")
	case e.EnteredByKind != EnteredByParticipant:
		return i18n.M("your coach entered this week's journal with you; ask them to change it")
	}
	return ""
}

// OwnEntryEditable reports whether the participant may still change an
// entry they see on their journal page.
func (e JournalEntry) OwnEntryEditable() bool { return ownEntryLocked(e) == "" }

// ReviewJournal records that a coach reviewed a week's entry. Reviewing it
// again changes nothing.
func (s *journalStore) ReviewJournal(ctx context.Context, participantID, week, reviewer string) (JournalEntry, error) {
	var e JournalEntry
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Limit(1).Find(&e, "participant_id = ? AND week_start = ?", participantID, week).Error; err != nil {
			return err
		}
		if e.ID == "" {
			return ErrNoJournal
		}
		if e.ReviewedAt != nil {
			return nil
		}
		now := s.st.Now()
		e.ReviewedBy, e.ReviewedAt = reviewer, &now
		return tx.Model(&e).Updates(map[string]any{"reviewed_by": reviewer, "reviewed_at": now}).Error
	})
	return e, err
}

// Journals lists a participant's journal entries, the newest week first.
func (s *journalStore) Journals(ctx context.Context, participantID string) ([]JournalEntry, error) {
	var es []JournalEntry
	err := s.st.DB.WithContext(ctx).Where("participant_id = ?", participantID).Order("week_start DESC").Find(&es).Error
	return es, err
}

// JournalCompletion is the participant's journal completion rate so far
// (see rules.CompleteJournals).
func (s *journalStore) JournalCompletion(ctx context.Context, p Participant) (rules.JournalCompletion, error) {
	var weeks []string
	if err := s.st.DB.WithContext(ctx).Model(&JournalEntry{}).Where("participant_id = ?", p.ID).Pluck("week_start", &weeks).Error; err != nil {
		return rules.JournalCompletion{}, err
	}
	days := make([]time.Time, 0, len(weeks))
	for _, w := range weeks {
		if d, ok := parseDate(w); ok {
			days = append(days, d)
		}
	}
	enrolled, _ := parseDate(p.EnrolledOn)
	return rules.CompleteJournals(enrolled, p.WithdrawnAt, s.st.Now(), days), nil
}

// UserNames maps account ids to the names staff see.
func (s *journalStore) UserNames(ctx context.Context, ids []string) (map[string]string, error) {
	return staffNames(s.st.DB.WithContext(ctx), ids)
}
