package rules

import (
	"reflect"
	"strings"
	"testing"
)

func TestCurrentStage(t *testing.T) {
	pt := func(d string, s int) OutingPoint { return OutingPoint{Date: day(d), Stage: s} }
	for name, c := range map[string]struct {
		os   []OutingPoint
		want int
	}{
		"none":                 {nil, 0},
		"one":                  {[]OutingPoint{pt("2026-02-01", 2)}, 2},
		"latest is highest":    {[]OutingPoint{pt("2026-02-01", 1), pt("2026-02-08", 1), pt("2026-02-15", 1), pt("2026-02-22", 4)}, 4},
		"old high drops out":   {[]OutingPoint{pt("2026-02-01", 4), pt("2026-02-08", 1), pt("2026-02-15", 1), pt("2026-02-22", 1)}, 1},
		"high among latest":    {[]OutingPoint{pt("2026-02-22", 1), pt("2026-02-15", 3), pt("2026-02-08", 1), pt("2026-02-01", 1)}, 3},
		"tie at the boundary":  {[]OutingPoint{pt("2026-02-01", 1), pt("2026-02-22", 1), pt("2026-02-15", 1), pt("2026-02-08", 4), pt("2026-02-15", 1), pt("2026-02-08", 1)}, 1},
		"same day at the edge": {[]OutingPoint{pt("2026-02-22", 1), pt("2026-02-15", 1), pt("2026-02-08", 1), pt("2026-02-08", 3)}, 3},
	} {
		if got := CurrentStage(c.os); got != c.want {
			t.Errorf("%s: stage %d, want %d", name, got, c.want)
		}
		// The order outings were entered in does not matter.
		rev := append([]OutingPoint(nil), c.os...)
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		if got := CurrentStage(rev); got != c.want {
			t.Errorf("%s reversed: stage %d, want %d", name, got, c.want)
		}
	}
}

func TestProgression(t *testing.T) {
	enrolled := day("2026-01-12")
	p := Progression(enrolled, []OutingPoint{
		{day("2026-01-20"), 1}, {day("2026-02-11"), 2}, // month 1
		{day("2026-03-15"), 3}, {day("2026-03-20"), 2}, // month 3
		{day("2026-04-11"), 1}, // still month 3
	})
	if len(p) != 12 {
		t.Fatalf("%d months", len(p))
	}
	want := map[int][2]int{1: {2, 2}, 2: {0, 0}, 3: {3, 3}, 4: {0, 0}}
	for m, w := range want {
		if got := p[m-1]; got.Month != m || got.Highest != w[0] || got.Outings != w[1] {
			t.Errorf("month %d: %+v, want highest %d of %d outings", m, got, w[0], w[1])
		}
	}
	// An outing after the year extends the chart to its month.
	if p := Progression(enrolled, []OutingPoint{{day("2027-03-01"), 4}}); len(p) != 14 || p[13].Highest != 4 {
		t.Fatalf("month 14: %d months, %+v", len(p), p[len(p)-1])
	}
	if p := Progression(enrolled, nil); len(p) != 12 || !reflect.DeepEqual(p[0], MonthStage{Month: 1}) {
		t.Fatalf("no outings: %+v", p)
	}
}

func TestCheckOuting(t *testing.T) {
	ok := OutingFacts{Date: day("2026-03-01"), Today: day("2026-06-20"), EnrolledOn: day("2026-01-12"), Activity: "Museum visit", Stage: 3,
		CostCents: 1250, PartnerID: "b", PartnerWasPaired: true, ParticipantID: "a"}
	if p := ok.CheckOuting(); len(p) != 0 {
		t.Fatalf("a valid outing: %v", p)
	}
	for name, c := range map[string]struct {
		change func(*OutingFacts)
		field  string
		want   string
	}{
		"stage 0":          {func(o *OutingFacts) { o.Stage = 0 }, "stage", "must be 1"},
		"stage 5":          {func(o *OutingFacts) { o.Stage = 5 }, "stage", "must be 1"},
		"negative cost":    {func(o *OutingFacts) { o.CostCents = -1 }, "cost_cents", "negative"},
		"huge cost":        {func(o *OutingFacts) { o.CostCents = MaxOutingCostCents + 1 }, "cost_cents", "check the amount"},
		"future":           {func(o *OutingFacts) { o.Date = day("2026-06-21") }, "date", "no later than today"},
		"before enrolling": {func(o *OutingFacts) { o.Date = day("2026-01-11") }, "date", "before the participant's enrollment"},
		"no date":          {func(o *OutingFacts) { o.Date = day("0001-01-01") }, "date", "such as 2026-03-04"},
		"no activity":      {func(o *OutingFacts) { o.Activity = "  " }, "activity", "say what"},
		"partner alone":    {func(o *OutingFacts) { o.Stage = StageOnTheirOwn }, "partner_id", "on their own"},
		"not a partner":    {func(o *OutingFacts) { o.PartnerWasPaired = false }, "partner_id", "was not"},
		"self":             {func(o *OutingFacts) { o.PartnerID = "a" }, "partner_id", "themself"},
		"long goal":        {func(o *OutingFacts) { o.GoalID = strings.Repeat("g", 65) }, "goal_id", "64"},
	} {
		o := ok
		c.change(&o)
		p := o.CheckOuting()
		if len(p) != 1 || p[0].Field != c.field || !strings.Contains(p[0].Detail, c.want) {
			t.Errorf("%s: %v", name, p)
		}
	}
	for _, s := range Stages {
		if StageName(s) == "" || !ValidStage(s) {
			t.Errorf("stage %d has no name", s)
		}
	}
}
