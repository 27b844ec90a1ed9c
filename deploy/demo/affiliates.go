package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/itsmylife/iml/pkg/cluster"
)

const (
	taEmail    = "ta@example.org"
	taPassword = "demo-ta-password"
)

// stagedOrg is where a demo organization stands in its lifecycle: the days
// before today of the first inquiry, agreement, training and go-live.
type stagedOrg struct {
	name, orgType, state                 string
	inquiry, agreement, training, golive int
	contact, role, email                 string
}

// demoOrgs are the demo sites' organizations.
var demoOrgs = []stagedOrg{
	{"Riverside Peer Center (demo)", "peer_run", "VA", 200, 160, 130, 100, "Pat Lee", "Program Director", "pat.lee@riverside.example.org"},
	{"Blue Ridge Community Services Board (demo)", "csb_mhc", "VA", 120, 90, 60, 35, "Sam Ortiz", "Peer Services Manager", "sam.ortiz@blueridge.example.org"},
}

func daysAgo(n int) string { return time.Now().UTC().AddDate(0, 0, -n).Format(time.DateOnly) }

// addDemoOrgs adds the demo organizations dated from their first inquiry,
// and one more still at the inquiry stage.
func addDemoOrgs(ctx context.Context, hub *cluster.Hub) error {
	for _, o := range demoOrgs {
		if _, err := hub.CLI(ctx, "", "org", "add", "--name", o.name, "--type", o.orgType, "--state", o.state, "--since", daysAgo(o.inquiry)); err != nil {
			return err
		}
	}
	_, err := hub.CLI(ctx, "", "org", "add", "--name", "Hill Country NAMI Group (demo)", "--type", "nami", "--state", "TX", "--since", daysAgo(20))
	return err
}

// stageAffiliates puts the demo organizations at realistic stages (one
// launched three months ago, in its first year of TA with a check-in done
// and a logged call; one launched last month; one still an inquiry), adds a TA specialist and
// raises a TA request at the first site, so the affiliates and TA pages have
// content.
func stageAffiliates(ctx context.Context, hub *cluster.Hub, agents []*cluster.Agent, dirPassword string) error {
	orgs, day := demoOrgs, daysAgo
	for _, o := range orgs {
		for _, step := range []struct {
			to  string
			ago int
		}{{"agreement", o.agreement}, {"training", o.training}, {"launched", o.golive}} {
			if _, err := hub.CLI(ctx, "", "org", "stage", "--org", o.name, "--to", step.to, "--on", day(step.ago)); err != nil {
				return err
			}
		}
		if _, err := hub.CLI(ctx, "", "org", "contact", "add", "--org", o.name, "--name", o.contact, "--role", o.role, "--email", o.email); err != nil {
			return err
		}
	}
	if _, err := hub.CLI(ctx, taPassword+"\n", "user", "add", "--email", taEmail, "--name", "Demo TA Specialist", "--role", "ta", "--password-stdin"); err != nil {
		return err
	}
	tok, err := cluster.Login(ctx, hub.URL(), taEmail, taPassword)
	if err != nil {
		return err
	}
	var list []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if _, err := cluster.JSON(ctx, http.MethodGet, hub.URL()+"/api/v1/organizations?stage=launched", tok, nil, &list); err != nil {
		return err
	}
	for _, o := range list {
		if o.Name != orgs[0].name {
			continue
		}
		var plan struct {
			CheckIns []struct {
				ID string `json:"id"`
			} `json:"check_ins"`
		}
		base := hub.URL() + "/api/v1/organizations/" + o.ID
		if err := demoCall(ctx, http.MethodGet, base+"/ta-plan", tok, nil, &plan); err != nil {
			return err
		}
		if len(plan.CheckIns) == 0 {
			return fmt.Errorf("the demo organization has no TA check-ins")
		}
		if err := demoCall(ctx, http.MethodPost, base+"/ta-plan/check-ins/"+plan.CheckIns[0].ID+"/done", tok,
			map[string]string{"done_on": day(68), "note": "Reviewed the first cohort's intake and the coaches' schedule."}, nil); err != nil {
			return err
		}
		if err := demoCall(ctx, http.MethodPost, base+"/stage", tok, map[string]string{"to": "first_year_ta", "on": day(68)}, nil); err != nil {
			return err
		}
		if err := demoCall(ctx, http.MethodPost, base+"/ta-contacts", tok,
			map[string]any{"on": day(68), "mode": "video", "minutes": 45, "notes": "First monthly check-in with the Program Director."}, nil); err != nil {
			return err
		}
	}
	dir, err := cluster.Login(ctx, agents[0].URL(), "director1@example.org", dirPassword)
	if err != nil {
		return err
	}
	return demoCall(ctx, http.MethodPost, agents[0].URL()+"/api/v1/ta-requests", dir, map[string]string{
		"subject": "Keeping Peer Partners pairs together over the holidays", "category": "coaching",
		"text": "Several pairs stop meeting in December. What have other sites done to keep them in touch?"}, nil)
}

// demoCall does a JSON call and fails on any status but 200 and 201.
func demoCall(ctx context.Context, method, url, tok string, body, out any) error {
	st, err := cluster.JSON(ctx, method, url, tok, body, out)
	if err == nil && st != http.StatusOK && st != http.StatusCreated {
		err = fmt.Errorf("%s %s: status %d", method, url, st)
	}
	return err
}
