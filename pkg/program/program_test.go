package program

import (
	"slices"
	"strings"
	"testing"
)

func TestDefaultRelease(t *testing.T) {
	r := Default()
	if got := len(r.POM.Items); got != 13 {
		t.Fatalf("POM indicators = %d, want 13", got)
	}
	if got := len(r.Survey.Statements); got != 11 {
		t.Fatalf("survey statements = %d, want 11", got)
	}
	if r.Stipend.MonthlyCents != 6000 {
		t.Fatalf("stipend = %d cents, want 6000", r.Stipend.MonthlyCents)
	}
	pp, ok := r.Schedule(ModelPeerPartners)
	if !ok || pp.Months[5].Title != "Thoughts & Beliefs" {
		t.Fatalf("peer partners month 6 = %+v", pp.Months[5])
	}
	_, sum1 := r.Canonical()
	_, sum2 := Default().Canonical()
	if sum1 != sum2 {
		t.Fatal("canonical form is not stable")
	}
}

func TestParseRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"unknown field": `{"version":"x","pom":{"items":[{"code":"a","text":"a"}]},"peer_partner_groups":{"min":6,"max":12},"extra":1}`,
		"no group rule": `{"version":"x","pom":{"items":[{"code":"a","text":"a"}]}}`,
		"bad code":      `{"version":"x","pom":{"items":[{"code":"A B","text":"a"}]}}`,
		"dup code":      `{"version":"x","pom":{"items":[{"code":"a","text":"a"},{"code":"a","text":"b"}]}}`,
		"no version":    `{"pom":{"items":[{"code":"a","text":"a"}]}}`,
		"short year":    `{"version":"x","pom":{"items":[{"code":"a","text":"a"}]},"themes":[{"model":"m","months":[{"month":1}]}]}`,
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "release") {
			t.Errorf("%s: error %q does not say where", name, err)
		}
	}
}

// TestDefaultLessonPlans checks that every theme of every schedule has plans
// to choose from, and that the helpers find them.
func TestDefaultLessonPlans(t *testing.T) {
	r := Default()
	for _, s := range r.Themes {
		for _, m := range s.Months {
			if n := len(r.PlansFor(m.Code)); n < 3 {
				t.Errorf("%s month %d (%s): %d lesson plans, want at least 3", s.Model, m.Month, m.Code, n)
			}
		}
	}
	p, ok := r.LessonPlan("com_listening")
	if !ok || p.Theme != "communication" || len(p.Skills) == 0 {
		t.Fatalf("com_listening = %+v, %v", p, ok)
	}
	if _, ok := r.LessonPlan("no_such_plan"); ok {
		t.Fatal("found a plan that does not exist")
	}
	if sk, ok := r.Skill("listening"); !ok || sk.Name != "Effective listening" {
		t.Fatalf("skill listening = %+v, %v", sk, ok)
	}
	if got := r.PlansFor("no_such_theme"); len(got) != 0 {
		t.Fatalf("plans for an unknown theme: %+v", got)
	}
	// Every skill set of the program is taught by some plan.
	taught := map[string]bool{}
	for _, p := range r.LessonPlans {
		for _, sk := range p.Skills {
			taught[sk] = true
		}
	}
	for _, sk := range r.Skills {
		if !taught[sk.Code] {
			t.Errorf("no lesson plan builds %s", sk.Code)
		}
	}
}

// TestReleaseWithoutPlansKeepsItsChecksum: a release published before
// lesson plans existed has the same canonical form as before.
func TestReleaseWithoutPlansKeepsItsChecksum(t *testing.T) {
	r := Default()
	r.LessonPlans = nil
	b, _ := r.Canonical()
	if strings.Contains(string(b), "lesson_plans") {
		t.Fatalf("a release without plans mentions them: %s", b)
	}
}

func TestLessonPlanValidation(t *testing.T) {
	plan := func(code, theme string, skills ...string) LessonPlan {
		return LessonPlan{Code: code, Theme: theme, Title: "A plan", Skills: skills}
	}
	for name, c := range map[string]struct {
		plans []LessonPlan
		want  string
	}{
		"bad code":      {[]LessonPlan{plan("Bad Code", "self_care", "self_care")}, "malformed"},
		"dup code":      {[]LessonPlan{plan("p1", "self_care", "self_care"), plan("p1", "communication", "listening")}, "appears twice"},
		"unknown theme": {[]LessonPlan{plan("p1", "knitting", "self_care")}, "no schedule has"},
		"unknown skill": {[]LessonPlan{plan("p1", "self_care", "juggling")}, "not a skill"},
		"no skill":      {[]LessonPlan{plan("p1", "self_care")}, "names no skill"},
		"skill twice":   {[]LessonPlan{plan("p1", "self_care", "self_care", "self_care")}, "twice"},
		"no title":      {[]LessonPlan{{Code: "p1", Theme: "self_care", Skills: []string{"self_care"}}}, "no title"},
	} {
		r := Default()
		r.LessonPlans = c.plans
		err := r.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
	r := Default()
	r.Skills = append(r.Skills, Skill{Code: "listening", Name: "Again"})
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "skill code") {
		t.Errorf("duplicate skill: %v", err)
	}
	// A release with plans survives a round trip through its canonical form.
	b, sum := Default().Canonical()
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, sum2 := back.Canonical(); sum2 != sum || len(back.LessonPlans) != len(Default().LessonPlans) {
		t.Fatal("lesson plans do not survive the canonical form")
	}
}

// An agent accepts a release from a newer hub with fields it does not know;
// the hub's strict parser refuses them.
func TestParseReceivedIgnoresNewFields(t *testing.T) {
	b, _ := Default().Canonical()
	newer := append([]byte(`{"a_field_from_the_future":{"x":1},`), b[1:]...)
	if _, err := Parse(newer); err == nil {
		t.Fatal("the strict parser accepted an unknown field")
	}
	r, err := ParseReceived(newer)
	if err != nil || r.Version != Default().Version {
		t.Fatalf("received release: %v", err)
	}
	if _, err := ParseReceived([]byte(`{"version":"x"}`)); err == nil {
		t.Fatal("an invalid release was accepted")
	}
}

// TestPrivacy: a release may set the smallest group of the
// quasi-identifier rule; without it, the default, and a release without
// it keeps its canonical form.
func TestPrivacy(t *testing.T) {
	r := Default()
	if r.MinGroup() != DefaultMinGroup || r.Privacy != nil {
		t.Fatalf("the first release's smallest group: %d (%+v)", r.MinGroup(), r.Privacy)
	}
	if b, _ := r.Canonical(); strings.Contains(string(b), "privacy") {
		t.Fatalf("a release without privacy rules mentions them: %s", b)
	}
	r.Privacy = &Privacy{MinGroup: 11}
	b, _ := r.Canonical()
	back, err := Parse(b)
	if err != nil || back.MinGroup() != 11 {
		t.Fatalf("parsed back: %d, %v", back.MinGroup(), err)
	}
	for _, k := range []int{-1, 0, MaxMinGroup + 1} {
		r.Privacy = &Privacy{MinGroup: k}
		if err := r.Validate(); err == nil {
			t.Errorf("a smallest group of %d was accepted", k)
		}
	}
}

func TestOnlyNamedIndicatorsAreAsked(t *testing.T) {
	rel := Default()
	asked := rel.Asked()
	if len(asked) != 12 || len(rel.POM.Items) != 13 {
		t.Fatalf("asked %d of %d", len(asked), len(rel.POM.Items))
	}
	for _, it := range asked {
		if it.Code == "pom_x13_unnamed" || !it.Named() {
			t.Errorf("asked %+v", it)
		}
	}
	if _, ok := rel.AskedIndicator("pom_x13_unnamed"); ok {
		t.Error("the unnamed indicator is asked")
	}
	if _, ok := rel.Indicator("pom_x13_unnamed"); !ok {
		t.Error("the unnamed indicator is no longer in the release")
	}
	// A later release that gives it its number names it (a copy: the
	// default release's slices are shared).
	rel.POM.Items = slices.Clone(rel.POM.Items)
	rel.POM.Items[12].Number = 3
	if _, ok := rel.AskedIndicator("pom_x13_unnamed"); !ok || len(rel.Asked()) != 13 {
		t.Error("a named thirteenth indicator is not asked")
	}
}
