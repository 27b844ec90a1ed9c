package program

import "testing"

func TestDiffIsStructural(t *testing.T) {
	a := Default()
	if d := Diff(a, a); len(d) != 0 {
		t.Fatalf("a release differs from itself: %+v", d)
	}
	b := Default()
	// Deep copies of what is changed, so a stays the default.
	b.Themes = append([]ThemeSchedule{}, a.Themes...)
	b.Themes[0].Months = append([]Theme{}, a.Themes[0].Months...)
	b.Themes[0].Months[2].Title = "Getting out together"
	b.LessonPlans = append([]LessonPlan{}, a.LessonPlans[1:]...)
	b.LessonPlans = append(b.LessonPlans, LessonPlan{Code: "new_plan", Theme: a.LessonPlans[0].Theme, Title: "New", Skills: []string{a.Skills[0].Code}})
	b.Skills = append([]Skill{}, a.Skills...)
	b.Skills[1].Name = "Talking and listening"
	b.JournalPrompts = a.JournalPrompts[:len(a.JournalPrompts)-1]
	b.POM.Items = append([]Item{}, a.POM.Items...)
	b.POM.Items[0].Text = "People have natural supports"
	b.Survey.Statements = append([]Item{}, a.Survey.Statements...)
	b.Survey.Statements[0].Text = "I meet where I choose"
	b.Stipend.MonthlyCents = 7000
	b.Files = []File{{SHA256: "ab", Name: "Handbook.pdf", Kind: FileHandbook, MediaType: "application/pdf", Size: 10}}
	b.Privacy = &Privacy{MinGroup: 8}
	// Reordering the same plans is no change.
	b.LessonPlans[0], b.LessonPlans[1] = b.LessonPlans[1], b.LessonPlans[0]

	got := map[string]string{}
	for _, c := range Diff(a, b) {
		got[c.Section+" "+c.Key] = c.Kind
	}
	want := map[string]string{
		"themes " + a.Themes[0].Model + " month 03":                         Changed,
		"lesson_plans " + a.LessonPlans[0].Code:                             Removed,
		"lesson_plans new_plan":                                             Added,
		"skills " + a.Skills[1].Code:                                        Changed,
		"journal_prompts " + a.JournalPrompts[len(a.JournalPrompts)-1].Code: Removed,
		"pom " + a.POM.Items[0].Code:                                        Changed,
		"survey statement " + a.Survey.Statements[0].Code:                   Changed,
		"stipend monthly amount":                                            Changed,
		"files Handbook.pdf for the program":                                Added,
		"privacy smallest group of participants":                            Changed,
	}
	if len(got) != len(want) {
		t.Fatalf("diff %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestFilesValidate(t *testing.T) {
	r := Default()
	ok := File{SHA256: "5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Name: "w.pdf", Kind: FileWorksheet, MediaType: "application/pdf", Size: 3, LessonPlan: r.LessonPlans[0].Code}
	for name, f := range map[string]func(*File){
		"short hash":   func(f *File) { f.SHA256 = "abc" },
		"upper hash":   func(f *File) { f.SHA256 = "5D41402ABC4B2A76B9719D911017C592AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
		"no name":      func(f *File) { f.Name = " " },
		"unknown kind": func(f *File) { f.Kind = "poster" },
		"no size":      func(f *File) { f.Size = 0 },
		"no plan":      func(f *File) { f.LessonPlan = "nope" },
	} {
		bad := ok
		f(&bad)
		r.Files = []File{bad}
		if r.Validate() == nil {
			t.Errorf("%s: validates", name)
		}
	}
	r.Files = []File{ok, ok}
	if r.Validate() == nil {
		t.Error("the same file twice in one place validates")
	}
	r.Files = []File{ok}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := r.FilesFor(ok.LessonPlan); len(got) != 1 {
		t.Fatalf("files for the plan: %+v", got)
	}
}
