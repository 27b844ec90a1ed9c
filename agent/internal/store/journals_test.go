package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestJournalTableShape pins the columns another feature (the stipend's
// eligibility) reads with SQL; migration 0007 added entered_by_kind.
func TestJournalTableShape(t *testing.T) {
	s := newMJSite(t)
	var cols []struct {
		Name    string
		Type    string
		Notnull bool
		Pk      int
	}
	if err := s.st.DB.Raw("SELECT name, type, \"notnull\", pk FROM pragma_table_info('journal_entries') ORDER BY cid").Scan(&cols).Error; err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cols {
		got = append(got, c.Name+" "+c.Type)
	}
	want := []string{"id TEXT", "participant_id TEXT", "week_start TEXT", "answers TEXT", "entered_by TEXT", "entered_at DATETIME", "reviewed_by TEXT", "reviewed_at DATETIME", "entered_by_kind TEXT"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("journal_entries columns %v, want %v", got, want)
	}
}

func TestGuidedJournal(t *testing.T) {
	ctx := context.Background()
	s := newMJSite(t)
	p := s.person("Ann", "2026-01-14") // a Wednesday: the first week is 2026-01-19
	before := syncState(t, s.st)
	ans := map[string]string{"week_summary": "Went to the library club.", "goals_worked_on": "  Meeting new people  ", "skills_to_learn": ""}

	for _, c := range []struct {
		name, week string
		answers    map[string]string
		field      string
		text       string
	}{
		{"not a Monday", "2026-06-16", ans, "week_start", "is a Tuesday"},
		{"the future", "2026-06-22", ans, "week_start", "has not begun"},
		{"before enrollment", "2026-01-12", ans, "week_start", "before the participant enrolled"},
		{"not a date", "June", ans, "week_start", "such as 2026-03-02"},
		{"nothing answered", "2026-06-15", map[string]string{"week_summary": "   "}, "answers", "at least one"},
		{"an unknown prompt", "2026-06-15", map[string]string{"mood": "fine"}, "answers.mood", "does not ask: reload the page"},
		{"too long", "2026-06-15", map[string]string{"week_summary": strings.Repeat("a", 4001)}, "answers.week_summary", "4000"},
	} {
		_, err := s.st.Journals.SaveJournal(ctx, p.ID, c.week, s.user.ID, c.answers)
		if !hasField(err, c.field, c.text) {
			t.Errorf("%s: %v, want %s: …%s…", c.name, fieldsOf(err), c.field, c.text)
		}
	}
	var n int64
	s.st.DB.Model(&JournalEntry{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d entries stored by refused attempts", n)
	}
	// 4000 characters are fine, however many bytes they take.
	if _, err := s.st.Journals.SaveJournal(ctx, p.ID, "2026-06-08", s.user.ID, map[string]string{"week_summary": strings.Repeat("é", 4000)}); err != nil {
		t.Fatalf("4000 characters: %v", err)
	}
	e, err := s.st.Journals.SaveJournal(ctx, p.ID, "2026-06-15", s.user.ID, ans)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.AnswersOf(); !reflect.DeepEqual(got, map[string]string{"week_summary": "Went to the library club.", "goals_worked_on": "Meeting new people"}) {
		t.Fatalf("answers stored %v", got)
	}
	if e.EnteredBy != s.user.ID || e.ReviewedAt != nil || e.WeekStart != "2026-06-15" {
		t.Fatalf("entry %+v", e)
	}
	r, err := s.st.Journals.ReviewJournal(ctx, p.ID, "2026-06-15", s.user.ID)
	if err != nil || r.ReviewedBy != s.user.ID || r.ReviewedAt == nil {
		t.Fatalf("review: %+v %v", r, err)
	}
	if _, err := s.st.Journals.ReviewJournal(ctx, p.ID, "2026-06-01", s.user.ID); !errors.Is(err, ErrNoJournal) {
		t.Fatalf("review of a week without an entry: %v", err)
	}
	// Entering the same week again replaces the entry, which awaits review again.
	e2, err := s.st.Journals.SaveJournal(ctx, p.ID, "2026-06-15", s.user.ID, map[string]string{"skills_practised": "Listening"})
	if err != nil {
		t.Fatal(err)
	}
	es, err := s.st.Journals.Journals(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].ID != e.ID || e2.ID != e.ID || es[0].ReviewedAt != nil || es[0].ReviewedBy != "" ||
		!reflect.DeepEqual(es[0].AnswersOf(), map[string]string{"skills_practised": "Listening"}) {
		t.Fatalf("after a correction: %+v", es)
	}
	// 22 weeks from 2026-01-19 to the week in progress (in), two entries.
	j, err := s.st.Journals.JournalCompletion(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if j.Weeks != 22 || j.Entered != 2 || j.Percent() != 9 {
		t.Fatalf("completion %+v", j)
	}
	// Journals are local: only their counts leave, as participation.
	if after := syncState(t, s.st); !reflect.DeepEqual(before, after) {
		t.Fatal("entering journals changed the outbox")
	}
	if err := s.st.Participants.Withdraw(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.Journals.SaveJournal(ctx, p.ID, "2026-06-15", s.user.ID, ans); !hasField(err, "participant", "withdrawn") {
		t.Fatalf("a journal for a withdrawn participant: %v", err)
	}
	if _, err := s.st.Journals.SaveJournal(ctx, "nobody", "2026-06-15", s.user.ID, ans); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a journal for nobody: %v", err)
	}
}
