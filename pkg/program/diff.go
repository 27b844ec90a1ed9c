package program

import (
	"fmt"
	"slices"
	"strings"
)

// Change kinds of a diff.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// Change is one difference between two releases: in a section (themes,
// lesson plans, skills, journal prompts, POM items, survey, stipend policy,
// group rules, files, privacy), an element added, removed or changed, with its
// values before and after.
type Change struct {
	Section string `json:"section"`
	Kind    string `json:"kind"`
	Key     string `json:"key"`
	Before  string `json:"before,omitempty"`
	After   string `json:"after,omitempty"`
}

// Sections of a diff, in the order a diff lists them.
var Sections = []string{"title", "themes", "lesson_plans", "skills", "journal_prompts", "pom", "survey", "stipend", "peer_partner_groups", "files", "privacy"}

// Diff lists what changed from release a to release b, section by section,
// comparing elements by their stable keys (a theme by model and month, a
// plan, skill or item by its code, a file by its hash and place), never as
// text.
func Diff(a, b Release) []Change {
	var out []Change
	add := func(section string, cs []Change) {
		for i := range cs {
			cs[i].Section = section
		}
		out = append(out, cs...)
	}
	if a.Title != b.Title {
		out = append(out, Change{Section: "title", Kind: Changed, Key: "title", Before: a.Title, After: b.Title})
	}
	add("themes", diffKeyed(themeMap(a), themeMap(b)))
	add("lesson_plans", diffKeyed(planMap(a), planMap(b)))
	add("skills", diffKeyed(skillMap(a), skillMap(b)))
	add("journal_prompts", diffKeyed(itemMap(a.JournalPrompts, ""), itemMap(b.JournalPrompts, "")))
	if a.POM.Name != b.POM.Name || a.POM.Code != b.POM.Code {
		out = append(out, Change{Section: "pom", Kind: Changed, Key: "instrument", Before: a.POM.Code + ": " + a.POM.Name, After: b.POM.Code + ": " + b.POM.Name})
	}
	add("pom", diffKeyed(itemMap(a.POM.Items, ""), itemMap(b.POM.Items, "")))
	sa, sb := itemMap(a.Survey.Statements, "statement "), itemMap(b.Survey.Statements, "statement ")
	for k, v := range itemMap(a.Survey.Answers, "answer ") {
		sa[k] = v
	}
	for k, v := range itemMap(b.Survey.Answers, "answer ") {
		sb[k] = v
	}
	add("survey", diffKeyed(sa, sb))
	add("stipend", diffKeyed(stipendMap(a.Stipend), stipendMap(b.Stipend)))
	add("peer_partner_groups", diffKeyed(groupMap(a.Groups), groupMap(b.Groups)))
	add("files", diffKeyed(fileMap(a), fileMap(b)))
	if a.MinGroup() != b.MinGroup() {
		out = append(out, Change{Section: "privacy", Kind: Changed, Key: "smallest group of participants", Before: fmt.Sprint(a.MinGroup()), After: fmt.Sprint(b.MinGroup())})
	}
	return out
}

// diffKeyed compares two keyed sets of rendered values, in key order.
func diffKeyed(a, b map[string]string) []Change {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []Change
	for _, k := range keys {
		va, ina := a[k]
		vb, inb := b[k]
		switch {
		case !inb:
			out = append(out, Change{Kind: Removed, Key: k, Before: va})
		case !ina:
			out = append(out, Change{Kind: Added, Key: k, After: vb})
		case va != vb:
			out = append(out, Change{Kind: Changed, Key: k, Before: va, After: vb})
		}
	}
	return out
}

func themeMap(r Release) map[string]string {
	m := map[string]string{}
	for _, s := range r.Themes {
		for _, t := range s.Months {
			m[fmt.Sprintf("%s month %02d", s.Model, t.Month)] = t.Code + ": " + t.Title
		}
	}
	return m
}

func planMap(r Release) map[string]string {
	m := map[string]string{}
	for _, p := range r.LessonPlans {
		m[p.Code] = fmt.Sprintf("%s (theme %s; skills %s): %s", p.Title, p.Theme, strings.Join(p.Skills, ", "), p.Summary)
	}
	return m
}

func skillMap(r Release) map[string]string {
	m := map[string]string{}
	for _, s := range r.Skills {
		core := ""
		if s.Core {
			core = " (core)"
		}
		m[s.Code] = s.Name + core
	}
	return m
}

func itemMap(items []Item, prefix string) map[string]string {
	m := map[string]string{}
	for _, it := range items {
		v := it.Text
		if it.Number != 0 {
			v = fmt.Sprintf("%d. %s", it.Number, it.Text)
		}
		m[prefix+it.Code] = v
	}
	return m
}

func stipendMap(p StipendPolicy) map[string]string {
	return map[string]string{
		"monthly amount":      fmt.Sprintf("%d.%02d %s", p.MonthlyCents/100, p.MonthlyCents%100, p.Currency),
		"journals required":   fmt.Sprint(p.RequireJournals),
		"receipts required":   fmt.Sprint(p.RequireReceipts),
		"largest receipt":     fmt.Sprintf("%d bytes", p.MaxReceiptBytes),
		"receipt media types": strings.Join(p.ReceiptMIMETypes, ", "),
	}
}

func groupMap(g GroupRules) map[string]string {
	return map[string]string{"smallest group": fmt.Sprint(g.Min), "largest group": fmt.Sprint(g.Max), "even size": fmt.Sprint(g.Even)}
}

func fileMap(r Release) map[string]string {
	m := map[string]string{}
	for _, f := range r.Files {
		place := "the program"
		if f.LessonPlan != "" {
			place = "lesson plan " + f.LessonPlan
		}
		m[f.Name+" for "+place] = fmt.Sprintf("%s, %s, %d bytes, sha256 %s", f.Kind, f.MediaType, f.Size, f.SHA256[:min(12, len(f.SHA256))])
	}
	return m
}
