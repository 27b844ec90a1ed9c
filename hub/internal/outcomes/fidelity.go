package outcomes

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// FidelityThresholds are what a site must reach to run the program as
// designed. Below any of them it is flagged for technical assistance.
// Shares are fractions (0.8 is 80%).
type FidelityThresholds struct {
	// GroupSizeShare is the share of Peer Partners cohort-months whose
	// group size keeps the release's rules (6 to 12 members, even).
	GroupSizeShare float64 `json:"group_size_share"`
	// PeerPartnersMeetings is the mean meetings a Peer Partners group
	// holds a month (weekly: at least 3).
	PeerPartnersMeetings float64 `json:"peer_partners_meetings"`
	// SocialExplorationsMeetings is the mean meetings a Social
	// Explorations participant has a month (every week or two: at least 2).
	SocialExplorationsMeetings float64 `json:"social_explorations_meetings"`
	// JournalShare is the share of weekly journals due that were completed.
	JournalShare float64 `json:"journal_share"`
	// ReceiptShare is the share of months with stipend spending whose
	// receipts are all in.
	ReceiptShare float64 `json:"receipt_share"`
	// ThemeShare is the share of meetings held on the month's theme.
	ThemeShare float64 `json:"theme_share"`
}

// DefaultFidelity are the thresholds unless the operator sets others.
func DefaultFidelity() FidelityThresholds {
	return FidelityThresholds{GroupSizeShare: 0.8, PeerPartnersMeetings: 3, SocialExplorationsMeetings: 2, JournalShare: 0.75, ReceiptShare: 0.9, ThemeShare: 0.8}
}

// Validate checks the thresholds.
func (t FidelityThresholds) Validate() error {
	for _, v := range []struct {
		name string
		v    float64
		max  float64
	}{{"group size share", t.GroupSizeShare, 1}, {"journal share", t.JournalShare, 1}, {"receipt share", t.ReceiptShare, 1}, {"theme share", t.ThemeShare, 1},
		{"Peer Partners meetings", t.PeerPartnersMeetings, 31}, {"Social Explorations meetings", t.SocialExplorationsMeetings, 31}} {
		if v.v < 0 || v.v > v.max {
			return &store.ValidationError{Field: "fidelity", Msg: fmt.Sprintf("%s must be between 0 and %g", v.name, v.max)}
		}
	}
	return nil
}

// SiteFidelity is one site's fidelity figures and the reasons it is
// flagged, if any. A figure is nil (or a Figure without a value) when the
// site has nothing it applies to. The group figures (group size, meetings
// of Peer Partners groups, theme) are about how the site runs its
// cohorts. The participant figures (journal completion, receipt
// compliance, Social Explorations meetings) rest on the site's
// participants: each is shown exactly when the outcomes report of the
// site (for the filter's year; for the Social Explorations meetings, of
// that model) shows the head count it rests on, with the report's
// suppression, and a flag never uses one that is not shown.
type SiteFidelity struct {
	SiteID         string   `json:"site_id"`
	Site           string   `json:"site"`
	OrgID          string   `json:"org_id"`
	Organization   string   `json:"organization"`
	State          string   `json:"state"`
	PPCohortMonths int64    `json:"peer_partners_cohort_months"`
	GroupSizeShare *float64 `json:"group_size_share"`
	PPMeetings     *float64 `json:"peer_partners_meetings_per_month"`
	SEMeetings     Figure   `json:"social_explorations_meetings_per_month"`
	ThemeShare     *float64 `json:"theme_share"`
	JournalShare   Figure   `json:"journal_completion_share"`
	ReceiptShare   Figure   `json:"receipt_compliance_share"`
	FlaggedForTA   bool     `json:"flagged_for_ta"`
	Reasons        []string `json:"reasons"`
}

// FidelityReport lists every site matching the filter with data.
type FidelityReport struct {
	Filter     OutcomeFilter      `json:"filter"`
	MinCell    int                `json:"min_cell"`
	Thresholds FidelityThresholds `json:"thresholds"`
	GroupRules program.GroupRules `json:"group_rules"`
	Sites      []SiteFidelity     `json:"sites"`
}

// SiteFlag is a site flagged for technical assistance and why.
type SiteFlag struct {
	SiteID       string   `json:"site_id"`
	Site         string   `json:"site"`
	OrgID        string   `json:"org_id"`
	Organization string   `json:"organization"`
	Reasons      []string `json:"reasons"`
}

// FlaggedSites lists the sites whose fidelity falls short of a threshold,
// with the reasons, over all their data, under the minimum cell the
// outcomes reports use (DefaultMinCell when below 1): a flag rests only on
// figures the fidelity report shows.
func (s *Store) FlaggedSites(ctx context.Context, th FidelityThresholds, minCell int) ([]SiteFlag, error) {
	rep, err := s.Fidelity(ctx, OutcomeFilter{}, th, minCell)
	if err != nil {
		return nil, err
	}
	out := []SiteFlag{}
	for _, f := range rep.Sites {
		if f.FlaggedForTA {
			out = append(out, SiteFlag{SiteID: f.SiteID, Site: f.Site, OrgID: f.OrgID, Organization: f.Organization, Reasons: f.Reasons})
		}
	}
	return out, nil
}

func pct(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }

// Fidelity computes each site's fidelity: the group figures from the
// cohort rollups, the participant figures from the outcomes publication
// for the minimum cell (DefaultMinCell when below 1), so that they are
// shown and hidden exactly as the outcomes report shows and hides what
// they rest on. The model filter does not apply (each figure belongs to
// one model); the others do.
func (s *Store) Fidelity(ctx context.Context, f OutcomeFilter, th FidelityThresholds, minCell int) (FidelityReport, error) {
	f.Model = ""
	b, err := s.basis(ctx, minCell)
	rep := FidelityReport{Filter: f, MinCell: b.minCell, Thresholds: th, GroupRules: b.content.Groups}
	if err != nil {
		return rep, err
	}
	minCell, content, pub := b.minCell, b.content, b.pub
	sites, err := s.siteInfos(ctx, s.DB)
	if err != nil {
		return rep, err
	}
	by, err := s.fidelityCounts(ctx, f, content.Groups)
	if err != nil {
		return rep, err
	}
	g := content.Groups
	frac := func(n, d int64, places int) *float64 {
		if d == 0 {
			return nil
		}
		v := round(float64(n)/float64(d), places)
		return &v
	}
	// people is a participant figure of a site's report: num/den of the
	// report's totals, rounded, shown only when the report shows the head
	// count it rests on. v is nil when it is not shown.
	people := func(rv view, num, den string, places int) (fig Figure, v *float64) {
		if rv.hid("total/part_participants") {
			return hiddenFigure(minCell), nil
		}
		if v = frac(rv.val(num), rv.val(den), places); v == nil {
			return none(), nil
		}
		return shown(*v), v
	}
	for _, id := range sortedKeys(by) {
		a, si := by[id], sites[id]
		sf := SiteFidelity{SiteID: id, Site: si.Name, OrgID: si.OrgID, Organization: si.OrgName, State: si.State, PPCohortMonths: a.ppMonths,
			GroupSizeShare: frac(a.ppOK, a.ppMonths, 3), PPMeetings: frac(a.ppMeet, a.ppMonths, 2),
			ThemeShare: frac(a.on, a.held, 3)}
		all := pub.view(OutcomeFilter{SiteID: id, Year: f.Year})
		se := pub.view(OutcomeFilter{SiteID: id, Year: f.Year, Model: contract.ModelSocialExplorations})
		var js, rs, sem *float64
		sf.JournalShare, js = people(all, "total/journals_completed", "total/journals_due", 3)
		sf.ReceiptShare, rs = people(all, "total/receipts_ok", "total/spend_months", 3)
		sf.SEMeetings, sem = people(se, "total/meetings_held", "total/part_months", 2)
		for _, fig := range []*Figure{&sf.JournalShare, &sf.ReceiptShare} {
			if fig.Value != nil {
				*fig = shown(round(*fig.Value*100, 1))
			}
		}
		sf.Reasons = th.reasons(sf, g, sem, js, rs)
		sf.FlaggedForTA = len(sf.Reasons) > 0
		rep.Sites = append(rep.Sites, sf)
	}
	sortFidelity(rep.Sites)
	return rep, nil
}

// fidelityAcc is a site's group counts: Peer Partners cohort months (and
// those of a size within the rules, and their meetings), meetings held and
// meetings on the month's theme.
type fidelityAcc struct {
	ppMonths, ppOK, ppMeet, held, on int64
}

// fidelityCounts reads the group counts of the sites under the filter from
// the cohort rollups, and names (with no counts) the sites with monthly
// participation, whose figures come from the publication.
func (s *Store) fidelityCounts(ctx context.Context, f OutcomeFilter, g program.GroupRules) (map[string]*fidelityAcc, error) {
	var conds []string
	var args []any
	for _, d := range dims {
		if v := f.get(d); v != "" {
			if d == dimYear {
				conds, args = append(conds, "t.year = ?"), append(args, f.Year)
			} else {
				conds, args = append(conds, dimExpr[d]+" = ?"), append(args, v)
			}
		}
	}
	where := "1 = 1"
	if len(conds) > 0 {
		where = strings.Join(conds, " AND ")
	}
	join := " t JOIN sites s ON s.id = t.site_id JOIN organizations o ON o.id = s.org_id WHERE " + where
	db := s.DB.WithContext(ctx)
	var cohorts []struct {
		SiteID, Model                 string
		Members                       int
		Months, MeetingsHeld, OnTheme int64
	}
	if err := db.Raw("SELECT t.site_id, t.model, t.members, SUM(t.months) AS months, SUM(t.meetings_held) AS meetings_held, SUM(t.meetings_on_theme) AS on_theme FROM rollup_cohorts"+join+
		" GROUP BY t.site_id, t.model, t.members", args...).Scan(&cohorts).Error; err != nil {
		return nil, err
	}
	// The sites with monthly participation under the filter; their
	// figures come from the publication.
	var participating []string
	if err := db.Raw("SELECT t.site_id FROM rollup_people"+join+" AND t.part_months > 0 GROUP BY t.site_id", args...).Scan(&participating).Error; err != nil {
		return nil, err
	}
	by := map[string]*fidelityAcc{}
	get := func(id string) *fidelityAcc {
		if by[id] == nil {
			by[id] = &fidelityAcc{}
		}
		return by[id]
	}
	for _, c := range cohorts {
		a := get(c.SiteID)
		a.held += c.MeetingsHeld
		a.on += c.OnTheme
		if c.Model == contract.ModelPeerPartners {
			a.ppMonths += c.Months
			a.ppMeet += c.MeetingsHeld
			if c.Members >= g.Min && c.Members <= g.Max && (!g.Even || c.Members%2 == 0) {
				a.ppOK += c.Months
			}
		}
	}
	for _, id := range participating {
		get(id)
	}
	return by, nil
}

// reasons are why a site's fidelity falls short of the thresholds: its
// group figures, and the participant figures shown (sem, js and rs; nil
// when hidden or empty).
func (th FidelityThresholds) reasons(sf SiteFidelity, g program.GroupRules, sem, js, rs *float64) []string {
	reasons := []string{}
	if v := sf.GroupSizeShare; v != nil && *v < th.GroupSizeShare {
		reasons = append(reasons, fmt.Sprintf("group size within %d–%d%s in %s of Peer Partners months (threshold %s)", g.Min, g.Max, map[bool]string{true: " and even"}[g.Even], pct(*v), pct(th.GroupSizeShare)))
	}
	if v := sf.PPMeetings; v != nil && *v < th.PeerPartnersMeetings {
		reasons = append(reasons, fmt.Sprintf("Peer Partners groups meet %.1f times a month (threshold %g)", *v, th.PeerPartnersMeetings))
	}
	if sem != nil && *sem < th.SocialExplorationsMeetings {
		reasons = append(reasons, fmt.Sprintf("Social Explorations participants meet their coach %.1f times a month (threshold %g)", *sem, th.SocialExplorationsMeetings))
	}
	if js != nil && *js < th.JournalShare {
		reasons = append(reasons, fmt.Sprintf("journal completion below %s", pct(th.JournalShare)))
	}
	if rs != nil && *rs < th.ReceiptShare {
		reasons = append(reasons, fmt.Sprintf("receipt compliance below %s", pct(th.ReceiptShare)))
	}
	if v := sf.ThemeShare; v != nil && *v < th.ThemeShare {
		reasons = append(reasons, fmt.Sprintf("%s of meetings on the month's theme (threshold %s)", pct(*v), pct(th.ThemeShare)))
	}
	return reasons
}

func sortFidelity(rows []SiteFidelity) {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].FlaggedForTA != rows[j].FlaggedForTA {
			return rows[i].FlaggedForTA
		}
		if rows[i].Organization != rows[j].Organization {
			return rows[i].Organization < rows[j].Organization
		}
		return rows[i].Site < rows[j].Site
	})
}
