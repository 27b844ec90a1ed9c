package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

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
			return &ValidationError{"fidelity", fmt.Sprintf("%s must be between 0 and %g", v.name, v.max)}
		}
	}
	return nil
}

// SiteFidelity is one site's fidelity figures and the reasons it is
// flagged, if any. A figure is nil when the site has nothing it applies
// to. Journal and receipt shares rest on participants and are suppressed
// below the minimum cell like every other such figure.
type SiteFidelity struct {
	SiteID         string   `json:"site_id"`
	Site           string   `json:"site"`
	OrgID          string   `json:"org_id"`
	Organization   string   `json:"organization"`
	State          string   `json:"state"`
	PPCohortMonths int64    `json:"peer_partners_cohort_months"`
	GroupSizeShare *float64 `json:"group_size_share"`
	PPMeetings     *float64 `json:"peer_partners_meetings_per_month"`
	SEMeetings     *float64 `json:"social_explorations_meetings_per_month"`
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
// with the reasons, over all their data.
func (s *Store) FlaggedSites(ctx context.Context, th FidelityThresholds) ([]SiteFlag, error) {
	rep, err := s.Fidelity(ctx, OutcomeFilter{}, th, DefaultMinCell)
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

// Fidelity computes each site's fidelity from the cohort and people
// rollups. The model filter does not apply (each figure belongs to one
// model); the others do.
func (s *Store) Fidelity(ctx context.Context, f OutcomeFilter, th FidelityThresholds, minCell int) (FidelityReport, error) {
	if minCell < 1 {
		minCell = DefaultMinCell
	}
	f.Model = ""
	rep := FidelityReport{Filter: f, MinCell: minCell, Thresholds: th}
	_, content, err := s.latestContent(ctx)
	if err != nil {
		return rep, err
	}
	rep.GroupRules = content.Groups
	sites, err := s.siteInfos(ctx, s.DB)
	if err != nil {
		return rep, err
	}
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
		return rep, err
	}
	var people []struct {
		SiteID, Model                                                              string
		PartParticipants, PartMonths, MeetingsHeld, JournalsDue, JournalsCompleted int64
		SpendMonths, ReceiptsOK                                                    int64
	}
	if err := db.Raw("SELECT t.site_id, t.model, SUM(t.part_participants) AS part_participants, SUM(t.part_months) AS part_months, SUM(t.meetings_held) AS meetings_held, "+
		"SUM(t.journals_due) AS journals_due, SUM(t.journals_completed) AS journals_completed, SUM(t.spend_months) AS spend_months, SUM(t.receipts_ok) AS receipts_ok FROM rollup_people"+join+
		" GROUP BY t.site_id, t.model", args...).Scan(&people).Error; err != nil {
		return rep, err
	}
	type acc struct {
		ppMonths, ppOK, ppMeet, held, on, seMonths, seMeet, due, done, spend, rOK, parts int64
	}
	by := map[string]*acc{}
	get := func(id string) *acc {
		if by[id] == nil {
			by[id] = &acc{}
		}
		return by[id]
	}
	g := content.Groups
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
	for _, p := range people {
		if p.PartMonths == 0 {
			continue
		}
		a := get(p.SiteID)
		a.due += p.JournalsDue
		a.done += p.JournalsCompleted
		a.spend += p.SpendMonths
		a.rOK += p.ReceiptsOK
		a.parts += p.PartParticipants
		if p.Model == contract.ModelSocialExplorations {
			a.seMonths += p.PartMonths
			a.seMeet += p.MeetingsHeld
		}
	}
	frac := func(n, d int64, places int) *float64 {
		if d == 0 {
			return nil
		}
		v := round(float64(n)/float64(d), places)
		return &v
	}
	for _, id := range sortedKeys(by) {
		a, si := by[id], sites[id]
		sf := SiteFidelity{SiteID: id, Site: si.Name, OrgID: si.OrgID, Organization: si.OrgName, State: si.State, PPCohortMonths: a.ppMonths,
			GroupSizeShare: frac(a.ppOK, a.ppMonths, 3), PPMeetings: frac(a.ppMeet, a.ppMonths, 2), SEMeetings: frac(a.seMeet, a.seMonths, 2),
			ThemeShare: frac(a.on, a.held, 3), Reasons: []string{}}
		js, rs := frac(a.done, a.due, 3), frac(a.rOK, a.spend, 3)
		small := a.parts > 0 && a.parts < int64(minCell)
		sf.JournalShare, sf.ReceiptShare = fidelityFigure(js, small, minCell), fidelityFigure(rs, small, minCell)
		if v := sf.GroupSizeShare; v != nil && *v < th.GroupSizeShare {
			sf.Reasons = append(sf.Reasons, fmt.Sprintf("group size within %d–%d%s in %s of Peer Partners months (threshold %s)", g.Min, g.Max, map[bool]string{true: " and even"}[g.Even], pct(*v), pct(th.GroupSizeShare)))
		}
		if v := sf.PPMeetings; v != nil && *v < th.PeerPartnersMeetings {
			sf.Reasons = append(sf.Reasons, fmt.Sprintf("Peer Partners groups meet %.1f times a month (threshold %g)", *v, th.PeerPartnersMeetings))
		}
		if v := sf.SEMeetings; v != nil && *v < th.SocialExplorationsMeetings {
			sf.Reasons = append(sf.Reasons, fmt.Sprintf("Social Explorations participants meet their coach %.1f times a month (threshold %g)", *v, th.SocialExplorationsMeetings))
		}
		if js != nil && *js < th.JournalShare {
			sf.Reasons = append(sf.Reasons, fmt.Sprintf("journal completion below %s", pct(th.JournalShare)))
		}
		if rs != nil && *rs < th.ReceiptShare {
			sf.Reasons = append(sf.Reasons, fmt.Sprintf("receipt compliance below %s", pct(th.ReceiptShare)))
		}
		if v := sf.ThemeShare; v != nil && *v < th.ThemeShare {
			sf.Reasons = append(sf.Reasons, fmt.Sprintf("%s of meetings on the month's theme (threshold %s)", pct(*v), pct(th.ThemeShare)))
		}
		sf.FlaggedForTA = len(sf.Reasons) > 0
		rep.Sites = append(rep.Sites, sf)
	}
	sortFidelity(rep.Sites)
	return rep, nil
}

// fidelityFigure shows a participant-based share, or hides it when the
// site has fewer participants than the minimum cell. (The flag still
// says the share is below its threshold, never by how much.)
func fidelityFigure(v *float64, small bool, minCell int) Figure {
	switch {
	case v == nil:
		return none()
	case small:
		return hiddenFigure(minCell)
	}
	return shown(round(*v*100, 1))
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
