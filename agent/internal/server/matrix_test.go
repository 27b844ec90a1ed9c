package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/server"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
	"github.com/itsmylife/iml/pkg/routetest"
)

// Who may call a route of the agent.
type mayCall int

const (
	// anyone: no session is needed (sign-in, set-up, the anonymous
	// survey, health, static files); every caller gets in.
	anyone mayCall = iota
	// journalOwner: the participant signed in to their own journal.
	journalOwner
	// anyStaff: every signed-in staff user.
	anyStaff
	// leader: the Program Director and the coach who leads the
	// participant or cohort the path names.
	leader
	// directorOnly: the Program Director.
	directorOnly
)

// agentRoute is a row of the agent's authorization matrix.
type agentRoute struct {
	may mayCall
	// path is the request path, its {name}s filled from the fixture.
	path string
	// body, sent as JSON to the API and as a form to the pages; its
	// strings' {name}s are filled too. A []string is a form field sent
	// more than once (in JSON, an array).
	body map[string]any
	// formAt is the page whose form this is, for a form sent before any
	// session (sign-in, set-up): its token against login CSRF is sent
	// with it, as a browser would.
	formAt string
	// file, when set, is sent as the multipart field "file" with body's
	// fields; csv, when set, is the whole body, as text/csv.
	file *formFile
	csv  string
	// signsOut: the request ends the caller's session (each caller
	// comes with a new one).
	signsOut bool
	// readsNothing, when set, is where the route sends every request,
	// whatever its body, reading none of it and changing nothing: the
	// set-up form of a site set up already goes to the sign-in page.
	readsNothing string
}

// formFile is a file a form sends: its name, its type and what it holds.
type formFile struct{ name, ctype, content string }

// agentMatrix classifies every route of the agent. A route registered on
// the engine and missing here fails TestAgentAuthorizationMatrix: whoever
// adds a route says who may call it.
var agentMatrix = map[string]agentRoute{
	"GET /static/*filepath":  {may: anyone, path: "/static/style.css"},
	"HEAD /static/*filepath": {may: anyone, path: "/static/style.css"},
	"GET /healthz":           {may: anyone, path: "/healthz"},
	"GET /setup":             {may: anyone, path: "/setup"},
	"POST /setup": {may: anyone, path: "/setup", formAt: "/login", readsNothing: "/login",
		body: map[string]any{"name": "Late Comer", "email": "late@example.org", "password": password}},
	"GET /login":              {may: anyone, path: "/login"},
	"POST /login":             {may: anyone, path: "/login", formAt: "/login", body: map[string]any{"email": "signin@example.org", "password": password}},
	"POST /api/v1/auth/login": {may: anyone, path: "/api/v1/auth/login", body: map[string]any{"email": "signin@example.org", "password": password}},
	"GET /survey":             {may: anyone, path: "/survey"},
	"POST /survey":            {may: anyone, path: "/survey", body: map[string]any{"code": "{surveyCode}", "s_s04_respected_listened": "somewhat_agree"}},
	"GET /survey/thanks":      {may: anyone, path: "/survey/thanks"},
	"POST /survey/end":        {may: anyone, path: "/survey/end"},
	"POST /api/v1/survey/responses": {may: anyone, path: "/api/v1/survey/responses",
		body: map[string]any{"code": "{surveyCode2}", "answers": map[string]any{"s04_respected_listened": "somewhat_agree"}}},
	"GET /journal/start": {may: anyone, path: "/journal/start"},
	"POST /journal/start": {may: anyone, path: "/journal/start", formAt: "/journal/start",
		body: map[string]any{"login": "{startLogin}", "code": "{startCode}", "pin": "246802", "pin2": "246802"}},
	"GET /journal/login":  {may: anyone, path: "/journal/login"},
	"POST /journal/login": {may: anyone, path: "/journal/login", formAt: "/journal/login", body: map[string]any{"login": "{ownerLogin}", "pin": ownerPIN}},

	// The participant's own journal.
	"GET /journal":         {may: journalOwner, path: "/journal"},
	"POST /journal":        {may: journalOwner, path: "/journal", body: map[string]any{"week_start": "2026-06-15", "a_week_summary": "A calm week."}},
	"POST /journal/logout": {may: journalOwner, path: "/journal/logout", signsOut: true},

	// Staff API: participants and intake.
	"GET /api/v1/participants":                {may: anyStaff, path: "/api/v1/participants"},
	"POST /api/v1/participants":               {may: anyStaff, path: "/api/v1/participants", body: intake("Avery")},
	"GET /api/v1/participants/:id":            {may: leader, path: "/api/v1/participants/{p}"},
	"PUT /api/v1/participants/:id":            {may: leader, path: "/api/v1/participants/{p}", body: mxIntake()},
	"POST /api/v1/participants/:id/withdraw":  {may: leader, path: "/api/v1/participants/{withdrawAPI}/withdraw"},
	"GET /api/v1/participants/:id/interviews": {may: leader, path: "/api/v1/participants/{p}/interviews"},
	"PUT /api/v1/participants/:id/interviews/:timepoint": {may: leader, path: "/api/v1/participants/{p}/interviews/eligibility",
		body: map[string]any{"interviewed_on": "2026-01-12", "answers": interviewAnswers(), "notes": "Went well."}},
	"POST /api/v1/import/:kind": {may: directorOnly, path: "/api/v1/import/coaches", csv: "name,email\nImported Coach,imported@example.org\n"},

	// Staff API: coaches.
	"GET /api/v1/coaches":      {may: anyStaff, path: "/api/v1/coaches"},
	"POST /api/v1/coaches":     {may: directorOnly, path: "/api/v1/coaches", body: map[string]any{"name": "Kim Added", "email": "kim@example.org"}},
	"PUT /api/v1/coaches/:cid": {may: directorOnly, path: "/api/v1/coaches/{coachX}", body: map[string]any{"name": "Noor Haddad", "email": "noor@example.org", "bio": "Walks"}},
	"POST /api/v1/coaches/:cid/certification": {may: directorOnly, path: "/api/v1/coaches/{coachX}/certification",
		body: map[string]any{"code": "PLC-7", "certified_until": "2027-06-30"}},
	"POST /api/v1/coaches/:cid/hub-certification": {may: directorOnly, path: "/api/v1/coaches/{coachX}/hub-certification", body: map[string]any{"code": hubCertCode}},

	// Staff API: cohorts and meetings.
	"GET /api/v1/cohorts": {may: anyStaff, path: "/api/v1/cohorts"},
	"POST /api/v1/cohorts": {may: directorOnly, path: "/api/v1/cohorts",
		body: map[string]any{"name": "Thursday group", "model": program.ModelPeerPartners, "start_date": "2026-06-01", "coach_id": "{caseyCoach}"}},
	"GET /api/v1/cohorts/:cid": {may: leader, path: "/api/v1/cohorts/{g}"},
	"POST /api/v1/cohorts/:cid/members": {may: leader, path: "/api/v1/cohorts/{g}/members",
		body: map[string]any{"participant_id": "{joinerAPI}", "joined_on": "2026-06-19"}},
	"POST /api/v1/cohorts/:cid/members/:pid/leave":  {may: leader, path: "/api/v1/cohorts/{g}/members/{leaveAPI}/leave", body: map[string]any{"left_on": "2026-06-19"}},
	"GET /api/v1/cohorts/:cid/meetings":             {may: leader, path: "/api/v1/cohorts/{g}/meetings"},
	"POST /api/v1/cohorts/:cid/meetings":            {may: leader, path: "/api/v1/cohorts/{g}/meetings", body: mxMeeting("2026-06-18")},
	"GET /api/v1/cohorts/:cid/meetings/:mid":        {may: leader, path: "/api/v1/cohorts/{g}/meetings/{m}"},
	"PUT /api/v1/cohorts/:cid/meetings/:mid":        {may: leader, path: "/api/v1/cohorts/{g}/meetings/{m}", body: mxMeeting("2026-06-13")},
	"DELETE /api/v1/cohorts/:cid/meetings/:mid":     {may: leader, path: "/api/v1/cohorts/{g}/meetings/{mDelAPI}"},
	"GET /api/v1/cohorts/:cid/lesson-plans":         {may: leader, path: "/api/v1/cohorts/{g}/lesson-plans"},
	"GET /api/v1/cohorts/:cid/pairs":                {may: leader, path: "/api/v1/cohorts/{g}/pairs"},
	"POST /api/v1/cohorts/:cid/pairs":               {may: leader, path: "/api/v1/cohorts/{g}/pairs", body: map[string]any{"participant_ids": []string{"{formA1}", "{formA2}"}, "formed_on": "2026-06-19"}},
	"POST /api/v1/cohorts/:cid/pairs/:pairid/join":  {may: leader, path: "/api/v1/cohorts/{gJoinAPI}/pairs/{pairJoinAPI}/join", body: map[string]any{"participant_id": "{joinA}", "joined_on": "2026-06-19"}},
	"POST /api/v1/cohorts/:cid/pairs/:pairid/end":   {may: leader, path: "/api/v1/cohorts/{g}/pairs/{pairEndAPI}/end", body: map[string]any{"ended_on": "2026-06-19", "reason": "other", "note": "Moved away."}},
	"GET /api/v1/participants/:id/pairing-profile":  {may: leader, path: "/api/v1/participants/{p}/pairing-profile"},
	"PUT /api/v1/participants/:id/pairing-profile":  {may: leader, path: "/api/v1/participants/{p}/pairing-profile", body: map[string]any{"interests": []string{"hiking"}, "gender": "woman", "notes": "Mornings."}},
	"GET /api/v1/participants/:id/pairs":            {may: leader, path: "/api/v1/participants/{p}/pairs"},
	"GET /api/v1/participants/:id/outings":          {may: leader, path: "/api/v1/participants/{p}/outings"},
	"POST /api/v1/participants/:id/outings":         {may: leader, path: "/api/v1/participants/{p}/outings", body: mxOuting},
	"PUT /api/v1/participants/:id/outings/:oid":     {may: leader, path: "/api/v1/participants/{p}/outings/{o}", body: mxOuting},
	"DELETE /api/v1/participants/:id/outings/:oid":  {may: leader, path: "/api/v1/participants/{p}/outings/{oDelAPI}"},
	"GET /api/v1/participants/:id/goals":            {may: leader, path: "/api/v1/participants/{p}/goals"},
	"PUT /api/v1/participants/:id/goals":            {may: leader, path: "/api/v1/participants/{p}/goals", body: map[string]any{"goals": mxGoals()}},
	"GET /api/v1/participants/:id/stipend":          {may: leader, path: "/api/v1/participants/{p}/stipend"},
	"PUT /api/v1/participants/:id/plans/:month":     {may: leader, path: "/api/v1/participants/{p}/plans/2026-07", body: map[string]any{"lines": []map[string]any{{"goal_id": "{goal1}", "description": "Choir term", "planned_cents": 2500}}}},
	"POST /api/v1/participants/:id/expenses":        {may: leader, path: "/api/v1/participants/{p}/expenses", body: map[string]any{"goal_id": "{goal1}", "plan_line_id": "{line}", "spent_on": "2026-06-19", "amount_cents": 300, "what": "Sheet music"}},
	"DELETE /api/v1/participants/:id/expenses/:eid": {may: leader, path: "/api/v1/participants/{p}/expenses/{eDelAPI}"},
	"POST /api/v1/participants/:id/expenses/:eid/receipts": {may: leader, path: "/api/v1/participants/{p}/expenses/{eReceiptAPI}/receipts", body: map[string]any{},
		file: &formFile{"receipt.png", "image/png", string(mxPNG)}},
	"GET /api/v1/participants/:id/receipts/:rid":                  {may: leader, path: "/api/v1/participants/{p}/receipts/{r}"},
	"POST /api/v1/participants/:id/payments":                      {may: directorOnly, path: "/api/v1/participants/{p}/payments", body: map[string]any{"month": "2026-05"}},
	"GET /api/v1/stipends/report":                                 {may: directorOnly, path: "/api/v1/stipends/report?month=2026-05"},
	"GET /api/v1/participants/:id/journals":                       {may: leader, path: "/api/v1/participants/{p}/journals"},
	"PUT /api/v1/participants/:id/journals/:week":                 {may: leader, path: "/api/v1/participants/{p}/journals/2026-06-01", body: map[string]any{"answers": map[string]any{"week_summary": "A good week."}}},
	"POST /api/v1/participants/:id/journals/:week/review":         {may: leader, path: "/api/v1/participants/{p}/journals/2026-06-15/review"},
	"GET /api/v1/participants/:id/journal-access":                 {may: leader, path: "/api/v1/participants/{p}/journal-access"},
	"POST /api/v1/participants/:id/journal-access":                {may: leader, path: "/api/v1/participants/{p}/journal-access"},
	"DELETE /api/v1/participants/:id/journal-access":              {may: leader, path: "/api/v1/participants/{revokeAPI}/journal-access"},
	"GET /api/v1/participants/:id/hospitalizations":               {may: leader, path: "/api/v1/participants/{p}/hospitalizations"},
	"PUT /api/v1/participants/:id/hospitalizations/before":        {may: leader, path: "/api/v1/participants/{p}/hospitalizations/before", body: map[string]any{"before_count": 2}},
	"POST /api/v1/participants/:id/hospitalizations/stays":        {may: leader, path: "/api/v1/participants/{p}/hospitalizations/stays", body: map[string]any{"admitted_on": "2026-04-01"}},
	"DELETE /api/v1/participants/:id/hospitalizations/stays/:sid": {may: leader, path: "/api/v1/participants/{p}/hospitalizations/stays/{stayDelAPI}"},
	"POST /api/v1/participants/:id/service-changes":               {may: leader, path: "/api/v1/participants/{p}/service-changes", body: mxServiceChange},
	"DELETE /api/v1/participants/:id/service-changes/:sid":        {may: leader, path: "/api/v1/participants/{p}/service-changes/{changeDelAPI}"},
	"GET /api/v1/surveys":                                         {may: anyStaff, path: "/api/v1/surveys"},
	"POST /api/v1/surveys":                                        {may: anyStaff, path: "/api/v1/surveys", body: map[string]any{"timepoint": "midpoint", "model": program.ModelPeerPartners, "answers": map[string]any{"s04_respected_listened": "somewhat_agree"}}},
	"POST /api/v1/survey-codes":                                   {may: anyStaff, path: "/api/v1/survey-codes", body: map[string]any{"timepoint": "closing", "count": 2}},
	"GET /api/v1/reports/site":                                    {may: directorOnly, path: "/api/v1/reports/site"},
	"GET /api/v1/audit":                                           {may: directorOnly, path: "/api/v1/audit"},
	"GET /api/v1/release":                                         {may: anyStaff, path: "/api/v1/release"},
	"GET /api/v1/kit-files/:sha":                                  {may: anyStaff, path: "/api/v1/kit-files/{sha}"},
	"GET /api/v1/sync":                                            {may: anyStaff, path: "/api/v1/sync"},
	"POST /api/v1/sync/run":                                       {may: anyStaff, path: "/api/v1/sync/run"},
	"GET /api/v1/ta-requests":                                     {may: directorOnly, path: "/api/v1/ta-requests"},
	"POST /api/v1/ta-requests":                                    {may: directorOnly, path: "/api/v1/ta-requests", body: mxTARequest},
	"GET /api/v1/ta-requests/:rid":                                {may: directorOnly, path: "/api/v1/ta-requests/{ta}"},

	// Staff pages.
	"POST /logout":                         {may: anyStaff, path: "/logout", signsOut: true},
	"GET /":                                {may: anyStaff, path: "/"},
	"GET /participants":                    {may: anyStaff, path: "/participants"},
	"POST /participants":                   {may: anyStaff, path: "/participants", body: intake("Blair")},
	"GET /participants/:id":                {may: leader, path: "/participants/{p}"},
	"POST /participants/:id/interviews":    {may: leader, path: "/participants/{p}/interviews", body: mxInterviewForm()},
	"POST /participants/:id/withdraw":      {may: leader, path: "/participants/{withdrawPage}/withdraw", body: map[string]any{"confirm": "yes"}},
	"GET /participants/:id/intake":         {may: leader, path: "/participants/{p}/intake"},
	"POST /participants/:id/intake":        {may: leader, path: "/participants/{p}/intake", body: mxIntake()},
	"GET /import":                          {may: directorOnly, path: "/import"},
	"POST /import":                         {may: directorOnly, path: "/import", body: map[string]any{"kind": "coaches", "dry_run": "true"}, file: &formFile{"coaches.csv", "text/csv", "name,email\nPaged Coach,paged@example.org\n"}},
	"GET /coaches":                         {may: anyStaff, path: "/coaches"},
	"POST /coaches":                        {may: directorOnly, path: "/coaches", body: map[string]any{"name": "Lee Added", "email": "lee@example.org"}},
	"POST /coaches/:cid/certification":     {may: directorOnly, path: "/coaches/{coachZ}/certification", body: map[string]any{"code": "PLC-8", "certified_until": "2027-06-30"}},
	"POST /coaches/:cid/hub-certification": {may: directorOnly, path: "/coaches/{coachY}/hub-certification", body: map[string]any{"code": hubCertCode2}},
	"POST /coaches/:cid/account":           {may: directorOnly, path: "/coaches/{coachZ}/account", body: map[string]any{"user_id": ""}},
	"GET /accounts":                        {may: directorOnly, path: "/accounts"},
	"POST /accounts":                       {may: directorOnly, path: "/accounts", body: map[string]any{"name": "New Coach", "email": "newcoach@example.org", "password": password}},
	"POST /accounts/:uid/disable":          {may: directorOnly, path: "/accounts/{target}/disable"},
	"POST /accounts/:uid/enable":           {may: directorOnly, path: "/accounts/{target}/enable"},
	"POST /accounts/:uid/password":         {may: directorOnly, path: "/accounts/{target}/password", body: map[string]any{"password": "another long password"}},
	"GET /cohorts":                         {may: anyStaff, path: "/cohorts"},
	"POST /cohorts": {may: directorOnly, path: "/cohorts",
		body: map[string]any{"name": "Friday group", "model": program.ModelPeerPartners, "start_date": "2026-06-01", "coach_id": "{caseyCoach}"}},
	"GET /cohorts/:cid":                          {may: leader, path: "/cohorts/{g}"},
	"POST /cohorts/:cid/members":                 {may: leader, path: "/cohorts/{g}/members", body: map[string]any{"participant_id": "{joinerPage}", "joined_on": "2026-06-19"}},
	"POST /cohorts/:cid/members/:pid/leave":      {may: leader, path: "/cohorts/{g}/members/{leavePage}/leave", body: map[string]any{"left_on": "2026-06-19"}},
	"POST /cohorts/:cid/meetings":                {may: leader, path: "/cohorts/{g}/meetings", body: mxMeetingForm("2026-06-19")},
	"GET /cohorts/:cid/meetings/:mid/edit":       {may: leader, path: "/cohorts/{g}/meetings/{m}/edit"},
	"POST /cohorts/:cid/meetings/:mid":           {may: leader, path: "/cohorts/{g}/meetings/{m}", body: mxMeetingForm("2026-06-13")},
	"GET /cohorts/:cid/meetings/:mid/delete":     {may: leader, path: "/cohorts/{g}/meetings/{mDelPage}/delete"},
	"POST /cohorts/:cid/meetings/:mid/delete":    {may: leader, path: "/cohorts/{g}/meetings/{mDelPage}/delete"},
	"POST /cohorts/:cid/pairs":                   {may: leader, path: "/cohorts/{g}/pairs", body: map[string]any{"participant_id": []string{"{formP1}", "{formP2}"}, "formed_on": "2026-06-19"}},
	"POST /cohorts/:cid/pairs/:pairid/join":      {may: leader, path: "/cohorts/{gJoinPage}/pairs/{pairJoinPage}/join", body: map[string]any{"participant_id": "{joinP}", "joined_on": "2026-06-19"}},
	"POST /cohorts/:cid/pairs/:pairid/end":       {may: leader, path: "/cohorts/{g}/pairs/{pairEndPage}/end", body: map[string]any{"ended_on": "2026-06-19", "reason": "other", "note": "Moved away."}},
	"POST /participants/:id/pairing-profile":     {may: leader, path: "/participants/{p}/pairing-profile", body: map[string]any{"interests": "hiking, cooking", "gender": "woman", "notes": "Mornings."}},
	"POST /participants/:id/outings":             {may: leader, path: "/participants/{p}/outings", body: map[string]any{"date": "2026-06-02", "activity": "Walk", "stage": "1"}},
	"GET /participants/:id/outings/:oid/edit":    {may: leader, path: "/participants/{p}/outings/{o}/edit"},
	"POST /participants/:id/outings/:oid":        {may: leader, path: "/participants/{p}/outings/{o}", body: map[string]any{"date": "2026-06-03", "activity": "Museum", "stage": "2"}},
	"GET /participants/:id/outings/:oid/delete":  {may: leader, path: "/participants/{p}/outings/{oDelPage}/delete"},
	"POST /participants/:id/outings/:oid/delete": {may: leader, path: "/participants/{p}/outings/{oDelPage}/delete"},
	"POST /participants/:id/goals": {may: leader, path: "/participants/{p}/goals",
		body: map[string]any{"title_1": "Join a choir", "why_1": "I used to sing", "action_plan_1": "Visit two choirs"}},
	"POST /participants/:id/plans/:month/lines":             {may: leader, path: "/participants/{p}/plans/2026-06/lines", body: map[string]any{"goal_id": "{goal1}", "description": "Bus fare", "amount": "4.50"}},
	"POST /participants/:id/plans/:month/lines/:lid/remove": {may: leader, path: "/participants/{p}/plans/2026-06/lines/{lineDel}/remove"},
	"POST /participants/:id/expenses": {may: leader, path: "/participants/{p}/expenses",
		body: map[string]any{"plan_line_id": "{line}", "spent_on": "2026-06-19", "what": "Song book", "amount": "3.00", "month": "2026-06"}},
	"POST /participants/:id/expenses/:eid/remove": {may: leader, path: "/participants/{p}/expenses/{eDelPage}/remove", body: map[string]any{"month": "2026-06"}},
	"POST /participants/:id/expenses/:eid/receipts": {may: leader, path: "/participants/{p}/expenses/{eReceiptPage}/receipts", body: map[string]any{"month": "2026-06"},
		file: &formFile{"receipt.png", "image/png", string(mxPNG)}},
	"GET /participants/:id/receipts/:rid":                       {may: leader, path: "/participants/{p}/receipts/{r}"},
	"POST /participants/:id/payments":                           {may: directorOnly, path: "/participants/{p2}/payments", body: map[string]any{"month": "2026-05"}},
	"GET /stipends":                                             {may: directorOnly, path: "/stipends"},
	"GET /stipends/report.csv":                                  {may: directorOnly, path: "/stipends/report.csv?month=2026-05"},
	"POST /participants/:id/journals":                           {may: leader, path: "/participants/{p}/journals", body: map[string]any{"week_start": "2026-05-25", "a_week_summary": "Quiet."}},
	"POST /participants/:id/journals/:week/review":              {may: leader, path: "/participants/{p}/journals/2026-06-08/review"},
	"POST /participants/:id/journal-access":                     {may: leader, path: "/participants/{p}/journal-access"},
	"POST /participants/:id/journal-access/revoke":              {may: leader, path: "/participants/{revokePage}/journal-access/revoke"},
	"POST /participants/:id/hospitalizations/before":            {may: leader, path: "/participants/{p}/hospitalizations/before", body: map[string]any{"before_count": "1"}},
	"POST /participants/:id/hospitalizations/stays":             {may: leader, path: "/participants/{p}/hospitalizations/stays", body: map[string]any{"admitted_on": "2026-04-02"}},
	"POST /participants/:id/hospitalizations/stays/:sid/delete": {may: leader, path: "/participants/{p}/hospitalizations/stays/{stayDelPage}/delete"},
	"POST /participants/:id/service-changes":                    {may: leader, path: "/participants/{p}/service-changes", body: mxServiceChange},
	"POST /participants/:id/service-changes/:sid/delete":        {may: leader, path: "/participants/{p}/service-changes/{changeDelPage}/delete"},
	"GET /surveys":          {may: anyStaff, path: "/surveys"},
	"POST /surveys":         {may: anyStaff, path: "/surveys", body: map[string]any{"timepoint": "midpoint", "model": program.ModelPeerPartners, "s_s04_respected_listened": "somewhat_agree"}},
	"POST /surveys/codes":   {may: anyStaff, path: "/surveys/codes", body: map[string]any{"timepoint": "closing", "count": "2"}},
	"POST /surveys/device":  {may: anyStaff, path: "/surveys/device", body: map[string]any{"timepoint": "closing"}, signsOut: true},
	"GET /reports/site":     {may: directorOnly, path: "/reports/site"},
	"GET /reports/site.csv": {may: directorOnly, path: "/reports/site.csv?table=pom"},
	"GET /audit":            {may: directorOnly, path: "/audit"},
	"GET /kit-files/:sha":   {may: anyStaff, path: "/kit-files/{sha}"},
	"GET /sync":             {may: anyStaff, path: "/sync"},
	"POST /sync":            {may: anyStaff, path: "/sync"},
	"GET /ta-requests":      {may: directorOnly, path: "/ta-requests"},
	"POST /ta-requests":     {may: directorOnly, path: "/ta-requests", body: mxTARequest},
	"GET /ta-requests/:rid": {may: directorOnly, path: "/ta-requests/{ta}"},
}

const (
	ownerPIN     = "135791"
	hubCertCode  = "IML-AAAA-BBBB-CCCC-DDDD"
	hubCertCode2 = "IML-EEEE-FFFF-GGGG-HHHH"
	// mxSurname is the last name of every participant the leading coach
	// leads: the coach who does not lead them never sees it.
	mxSurname = "Quillfeather"
)

var (
	mxPNG           = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{9}, 300)...)
	mxOuting        = map[string]any{"date": "2026-06-04", "activity": "Bowling", "stage": 3, "cost_cents": 800}
	mxServiceChange = map[string]any{"service": contract.Services[0], "change": contract.ServiceChangeKinds[0], "changed_on": "2026-04-03"}
	mxTARequest     = map[string]any{"subject": "Stipend rules", "category": contract.TACategories[0], "text": "How do we count a late receipt?"}
)

// mxIntake is the intake of the fixture's main participant, as sent to
// update it.
func mxIntake() map[string]any {
	in := intake("Zinnia")
	in["last_name"] = mxSurname
	in["hospitalization_consent_on"] = "2026-01-12"
	in["phone"] = "555-0100"
	return in
}

// everyMember stands for the attendance of every member of the cohort,
// present.
type everyMember struct{}

func mxMeeting(day string) map[string]any {
	return map[string]any{"held_on": day, "lesson_plan": "tb_affirmations", "attendance": everyMember{}, "skills": []string{"affirmations"}, "notes": "Good energy."}
}

func mxMeetingForm(day string) map[string]any {
	return map[string]any{"held_on": day, "lesson_plan": "tb_affirmations", "skills": "affirmations", "present": "{p}", "notes": "Good energy."}
}

func mxGoals() []map[string]any {
	return []map[string]any{
		{"slot": 1, "title": "Join a choir", "why": "I used to sing", "action_plan": "Visit two choirs in June"},
		{"slot": 2, "title": "Walk with a friend", "action_plan": "Ask my neighbour on Sunday"},
	}
}

func interviewAnswers() map[string]any {
	m := map[string]any{}
	for _, it := range program.Default().Asked() {
		m[it.Code] = true
	}
	return m
}

func mxInterviewForm() map[string]any {
	f := map[string]any{"timepoint": "midpoint", "interviewed_on": "2026-06-15"}
	for _, it := range program.Default().Asked() {
		f["a_"+it.Code] = "present"
	}
	return f
}

// mxCaller is who sends a request: a staff user (a bearer token for the
// API, the session cookie and its CSRF token for the pages) or a
// participant signed in to their journal (the journal's cookie).
type mxCaller struct {
	name  string
	staff bool
	email string
	token string // the staff session's token, or the participant's
	csrf  string
}

// mxSite is a site on siteDay with everything the routes name.
type mxSite struct {
	*site
	v map[string]string
	// callers, in the order they call each route: those who may not
	// first, then the leading coach, then the director.
	anon, owner, other, lead, dir *mxCaller
	// ownerLogin is the journal sign-in name of the participant caller.
	ownerLogin string
	// members are the leading coach's cohort's members.
	members []string
	// digests are the queries state digests, by table.
	digests map[string]string
}

func newMXSite(t *testing.T) *mxSite {
	t.Helper()
	st := openStore(t, func() time.Time { return siteDay })
	s := &mxSite{site: &site{t: t, st: st, srv: serveWith(t, st, server.Config{SignInPerMinute: 1_000_000, SurveyPerMinute: 1_000_000})}, v: map[string]string{}}
	ctx := context.Background()
	must := s.must
	v := s.v
	user := func(email, name, role string) store.User {
		u, err := st.AddUser(ctx, email, name, role, password)
		must(err)
		return u
	}
	dirU := user("dir@example.org", "Dana Director", store.RoleDirector)
	caseyU := user("casey@example.org", "Casey Coach", store.RoleCoach)
	robinU := user("robin@example.org", "Robin Coach", store.RoleCoach)
	v["target"] = user("target@example.org", "Tara Target", store.RoleCoach).ID
	user("signin@example.org", "Sig Nin", store.RoleCoach)
	casey := s.certifiedCoach("Casey Coach", caseyU.ID)
	robin := s.certifiedCoach("Robin Coach", robinU.ID)
	v["caseyCoach"] = casey.ID
	for k, name := range map[string]string{"coachX": "Noor Haddad", "coachY": "Yuki Hub", "coachZ": "Zed Paged"} {
		c, err := st.Coaches.AddCoach(ctx, store.CoachInput{Name: name})
		must(err)
		v[k] = c.ID
	}
	_, err := st.Coaches.ApplyHubCertifications(ctx, []contract.CertificationWire{
		{Seq: 1, Code: hubCertCode, CoachName: "Noor Haddad", Status: contract.CertCurrent, IssuedOn: "2025-07-01", ExpiresOn: "2027-07-31", Modules: []string{}},
		{Seq: 2, Code: hubCertCode2, CoachName: "Yuki Hub", Status: contract.CertCurrent, IssuedOn: "2025-07-01", ExpiresOn: "2027-07-31", Modules: []string{}}})
	must(err)
	g, err := st.Cohorts.AddCohort(ctx, store.CohortInput{Name: "Tuesday group", Model: program.ModelPeerPartners, StartDate: "2026-01-12", CoachID: casey.ID})
	must(err)
	v["g"] = g.ID
	rg, err := st.Cohorts.AddCohort(ctx, store.CohortInput{Name: "Robin's group", Model: program.ModelPeerPartners, StartDate: "2026-01-12", CoachID: robin.ID})
	must(err)
	person := func(first string, cohort string) store.Participant {
		p, err := st.Participants.AddParticipant(ctx, store.ParticipantInput{FirstName: first, LastName: mxSurname, BirthDate: "1985-02-03", EnrolledOn: "2026-01-12",
			InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: "2026-01-12",
			HospitalizationConsentOn: "2026-01-12", CoachID: casey.ID})
		must(err)
		if cohort != "" {
			must(st.Cohorts.AddMember(ctx, cohort, p.ID, "2026-01-12"))
		}
		return p
	}
	// Casey's people: each route that ends something has its own.
	for i, k := range []string{"p", "p2", "owner", "starter", "withdrawAPI", "withdrawPage", "leaveAPI", "leavePage", "revokeAPI", "revokePage",
		"formA1", "formA2", "formP1", "formP2", "pe1", "pe2", "pe3", "pe4"} {
		v[k] = person(fmt.Sprintf("Member%c", 'A'+i), g.ID).ID
		s.members = append(s.members, v[k])
	}
	every := map[string]bool{}
	for _, id := range s.members {
		every[id] = true
	}
	for _, k := range []string{"joinerAPI", "joinerPage"} {
		v[k] = person("Joiner"+k[6:], "").ID
	}
	// Joining a pair: a cohort of five each, two pairs and one to join.
	for _, j := range []string{"API", "Page"} {
		gj, err := st.Cohorts.AddCohort(ctx, store.CohortInput{Name: "Casey's " + j + " group", Model: program.ModelPeerPartners, StartDate: "2026-01-12", CoachID: casey.ID})
		must(err)
		v["gJoin"+j] = gj.ID
		var ids []string
		for i := range 5 {
			ids = append(ids, person(fmt.Sprintf("Pairing%s%c", j, 'A'+i), gj.ID).ID)
		}
		for i, pair := range [][]string{ids[:2], ids[2:4]} {
			pi, _, err := st.Pairs.FormPair(ctx, gj.ID, store.PairInput{ParticipantIDs: pair, FormedOn: "2026-03-01"})
			must(err)
			if i == 0 {
				v["pairJoin"+j] = pi.ID
			}
		}
		v["join"+j[:1]] = ids[4]
	}
	ria, err := st.Participants.AddParticipant(ctx, store.ParticipantInput{FirstName: "Ria", LastName: "Robinson", BirthDate: "1985-02-03", EnrolledOn: "2026-01-12",
		InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: "2026-01-12"})
	must(err)
	must(st.Cohorts.AddMember(ctx, rg.ID, ria.ID, "2026-01-12"))

	for k, ids := range map[string][]string{"pairEndAPI": {v["pe1"], v["pe2"]}, "pairEndPage": {v["pe3"], v["pe4"]}} {
		pi, _, err := st.Pairs.FormPair(ctx, g.ID, store.PairInput{ParticipantIDs: ids, FormedOn: "2026-03-01"})
		must(err)
		v[k] = pi.ID
	}
	for k, day := range map[string]string{"m": "2026-06-15", "mDelAPI": "2026-06-16", "mDelPage": "2026-06-17"} {
		m, err := st.Meetings.RecordMeeting(ctx, g.ID, dirU.ID, store.MeetingInput{HeldOn: day, LessonPlan: "tb_affirmations", Attendance: every, Skills: []string{"affirmations"}})
		must(err)
		v[k] = m.ID
	}
	for _, k := range []string{"o", "oDelAPI", "oDelPage"} {
		o, err := st.Outings.AddOuting(ctx, v["p"], store.OutingInput{Date: "2026-04-02", Activity: "Bowling", Stage: 3})
		must(err)
		v[k] = o.ID
	}
	// Goals, a spending plan, expenses and a receipt; May's journals
	// for its stipend.
	for _, k := range []string{"p", "p2"} {
		goals, err := st.Stipends.SaveGoals(ctx, v[k], []store.GoalInput{{Slot: 1, Title: "Join a choir", ActionPlan: "Visit two choirs"}})
		must(err)
		v["goal1"] = goals[0].ID
		for _, week := range []string{"2026-04-27", "2026-05-04", "2026-05-11", "2026-05-18", "2026-05-25"} {
			_, err := st.Journals.SaveJournal(ctx, v[k], week, caseyU.ID, map[string]string{"week_summary": "Fine."})
			must(err)
		}
	}
	goals, err := st.Stipends.Goals(ctx, v["p"])
	must(err)
	v["goal1"] = goals[0].ID
	lines, err := st.Stipends.SavePlan(ctx, v["p"], "2026-06", []store.PlanLineInput{{GoalID: v["goal1"], Description: "Choir term", PlannedCents: 5000}, {GoalID: v["goal1"], Description: "Bus", PlannedCents: 500}})
	must(err)
	v["line"], v["lineDel"] = lines[0].ID, lines[1].ID
	for _, k := range []string{"eDelAPI", "eDelPage", "eReceiptAPI", "eReceiptPage", "eHeld"} {
		e, err := st.Stipends.AddExpense(ctx, dirU, v["p"], store.ExpenseInput{GoalID: v["goal1"], PlanLineID: v["line"], SpentOn: "2026-06-13", AmountCents: 200, What: "Sheet music"})
		must(err)
		v[k] = e.ID
	}
	r, err := st.Stipends.AddReceipt(ctx, dirU, v["p"], v["eHeld"], "image/png", mxPNG)
	must(err)
	v["r"] = r.ID
	for _, week := range []string{"2026-06-08", "2026-06-15"} {
		_, err := st.Journals.SaveJournal(ctx, v["p"], week, caseyU.ID, map[string]string{"week_summary": "A good week."})
		must(err)
	}
	for _, k := range []string{"stayDelAPI", "stayDelPage"} {
		stay, err := st.Outcomes.AddHospitalStay(ctx, v["p"], "2026-03-01")
		must(err)
		v[k] = stay.ID
	}
	for _, k := range []string{"changeDelAPI", "changeDelPage"} {
		c, err := st.Outcomes.AddServiceChange(ctx, v["p"], store.ServiceChange{Service: contract.Services[0], Change: contract.ServiceChangeKinds[0], ChangedOn: "2026-03-02"})
		must(err)
		v[k] = c.ID
	}
	// Journal access: the owner signed in; a start code waiting; the
	// access the revocations end.
	for _, k := range []string{"owner", "starter", "revokeAPI", "revokePage"} {
		acc, code, err := st.Journals.IssueJournalAccess(ctx, v[k], caseyU.ID)
		must(err)
		switch k {
		case "owner":
			_, tok, err := st.Journals.StartJournalAccess(ctx, acc.Login, code, ownerPIN)
			must(err)
			s.ownerLogin, v["ownerLogin"] = acc.Login, acc.Login
			s.owner = &mxCaller{name: "the participant in their journal", token: tok}
		case "starter":
			v["startLogin"], v["startCode"] = acc.Login, code
		}
	}
	codes, err := st.Surveys.IssueSurveyCodes(ctx, "closing", program.ModelPeerPartners, 2)
	must(err)
	v["surveyCode"], v["surveyCode2"] = codes[0], codes[1]
	kit := []byte("%PDF-1.4 a handout")
	sum := sha256.Sum256(kit)
	v["sha"] = hex.EncodeToString(sum[:])
	must(st.Coaches.SaveKitFile(ctx, v["sha"], "application/pdf", kit))
	ta, err := st.TA.RaiseTARequest(ctx, dirU, store.TARequestInput{Subject: "Outings", Category: contract.TACategories[0], Text: "How many a month?"})
	must(err)
	v["ta"] = ta.ID
	must(st.SaveEnrollment(ctx, store.Enrollment{HubURL: "http://127.0.0.1:1", SiteID: "site-1", SiteName: "Main Street", OrgName: "Peer Org", Credential: "imlsite_x", Generation: "1"}))

	s.anon = &mxCaller{name: "anonymous"}
	s.other = s.staffCaller("the coach who does not lead them", "robin@example.org")
	s.lead = s.staffCaller("the coach who leads them", "casey@example.org")
	s.dir = s.staffCaller("the Program Director", "dir@example.org")
	s.owner.csrf = s.ownerCSRF(s.owner.token)
	return s
}

// staffCaller signs a staff user in (a new session).
func (s *mxSite) staffCaller(who, email string) *mxCaller {
	s.t.Helper()
	_, tok, err := s.st.Login(context.Background(), email, password)
	s.must(err)
	_, sess, err := s.st.SessionUser(context.Background(), tok)
	s.must(err)
	return &mxCaller{name: who, staff: true, email: email, token: tok, csrf: sess.CSRF}
}

func (s *mxSite) ownerCSRF(tok string) string {
	s.t.Helper()
	_, sess, err := s.st.Journals.ParticipantBySession(context.Background(), tok)
	s.must(err)
	return sess.CSRF
}

// fresh is c with a new session, for a request that ends it.
func (s *mxSite) fresh(c *mxCaller) *mxCaller {
	s.t.Helper()
	switch {
	case c.staff:
		return s.staffCaller(c.name, c.email)
	case c.token != "":
		_, tok, err := s.st.Journals.ParticipantLogin(context.Background(), s.ownerLogin, ownerPIN)
		s.must(err)
		return &mxCaller{name: c.name, token: tok, csrf: s.ownerCSRF(tok)}
	}
	return c
}

// callers are everyone, in the order they call a route.
func (s *mxSite) callers() []*mxCaller { return []*mxCaller{s.anon, s.owner, s.other, s.lead, s.dir} }

// allowed says whether c may call a route.
func (s *mxSite) allowed(may mayCall, c *mxCaller) bool {
	switch may {
	case anyone:
		return true
	case journalOwner:
		return c == s.owner
	case anyStaff:
		return c.staff
	case leader:
		return c == s.lead || c == s.dir
	}
	return c == s.dir
}

// fill replaces the {name}s of a path or of a body's strings.
func (s *mxSite) fill(x string) string {
	for k, val := range s.v {
		x = strings.ReplaceAll(x, "{"+k+"}", val)
	}
	return x
}

func (s *mxSite) fillAny(x any) any {
	switch x := x.(type) {
	case everyMember:
		att := map[string]any{}
		for _, id := range s.members {
			att[id] = true
		}
		return att
	case string:
		return s.fill(x)
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = s.fill(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[s.fill(k)] = s.fillAny(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			out[i] = s.fillAny(e).(map[string]any)
		}
		return out
	}
	return x
}

// mxAnswer is what a route answered.
type mxAnswer struct {
	status int
	header http.Header
	body   string
}

// isAPI says whether a path is the staff API's (or the anonymous
// survey's), which answers JSON.
func isAPI(path string) bool { return strings.HasPrefix(path, "/api/") }

// send sends rt as c, with body (already filled) in place of the row's,
// and rawJSON, when set, as the whole JSON body. Redirects are answers.
func (s *mxSite) send(method string, rt agentRoute, c *mxCaller, body map[string]any, rawJSON []byte) mxAnswer {
	s.t.Helper()
	path := s.fill(rt.path)
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(s.srv.URL)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	api := isAPI(path)
	form := url.Values{}
	if c.token != "" && (!api || !c.staff) {
		name := web.SessionCookie
		if !c.staff {
			name = "iml_participant_session"
		}
		jar.SetCookies(base, []*http.Cookie{{Name: name, Value: c.token, Path: "/"}})
		form.Set("csrf", c.csrf)
	}
	if rt.formAt != "" {
		st, _, page := fetch(s.t, client, "", http.MethodGet, s.srv.URL+rt.formAt, "", nil)
		m := csrfRE.FindStringSubmatch(string(page))
		if st != http.StatusOK || m == nil {
			s.t.Fatalf("GET %s: %d, no form token", rt.formAt, st)
		}
		form.Set("csrf", m[1])
	}
	var rd io.Reader
	ctype := ""
	switch {
	case rt.csv != "":
		rd, ctype = strings.NewReader(rt.csv), "text/csv"
	case rawJSON != nil:
		rd, ctype = bytes.NewReader(rawJSON), "application/json"
	case rt.file != nil:
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for k, vs := range form {
			_ = w.WriteField(k, vs[0])
		}
		for k, val := range body {
			for _, e := range formValues(val) {
				_ = w.WriteField(k, e)
			}
		}
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="file"; filename=%q`, rt.file.name)}
		h["Content-Type"] = []string{rt.file.ctype}
		fw, _ := w.CreatePart(h)
		_, _ = fw.Write([]byte(rt.file.content + path)) // a file of its own per request
		_ = w.Close()
		rd, ctype = &buf, w.FormDataContentType()
	case api && body != nil:
		b, err := json.Marshal(body)
		s.must(err)
		rd, ctype = bytes.NewReader(b), "application/json"
	case !api && (body != nil || method == http.MethodPost):
		for k, val := range body {
			form[k] = formValues(val)
		}
		rd, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	tok := ""
	if api && c.staff {
		tok = c.token
	}
	st, h, b := fetch(s.t, client, tok, method, s.srv.URL+path, ctype, rd)
	return mxAnswer{st, h, string(b)}
}

// gist is the part of an answer that says what happened: a page's error
// summary or message, or the first of a JSON answer.
func (a mxAnswer) gist() string {
	b := a.body
	for _, mark := range []string{`id="error-summary"`, `<main`} {
		if i := strings.Index(b, mark); i >= 0 {
			b = b[i:]
			break
		}
	}
	b = tagRE.ReplaceAllString(b, " ")
	b = strings.Join(strings.Fields(b), " ")
	if len(b) > 400 {
		b = b[:400]
	}
	return b
}

// formValues are a body field's values in a form.
func formValues(x any) []string {
	switch x := x.(type) {
	case []string:
		return x
	case routetest.Twice:
		return x[:]
	case map[string]any:
		b, _ := json.Marshal(x)
		return []string{string(b)}
	}
	return []string{fmt.Sprint(x)}
}

// unaudited are the tables a refused request may write to: the audit log
// only. An attempt on a participant's record is written before the checks
// that follow the first (the director's, the leading coach's) refuse it,
// and then its outcome, by design; and the outcome of the call before is
// written once its answer has gone, so it may land during the next call.
// Every other table of the site (the sessions' too) is digested.
var unaudited = map[string]bool{"audit_log": true}

// lockout are the columns a refused sign-in may change, in any table: the
// count of failed sign-ins towards the lock-out, and the lock-out (staff
// accounts and participants' journal accounts).
var lockout = map[string]bool{"failed_logins": true, "locked_until": true}

// state is a digest of every row of every table but the unaudited ones,
// so a refused request that changes a row is caught as well as one that
// adds or removes one.
func (s *mxSite) state() map[string]string {
	s.t.Helper()
	db, err := s.st.DB.DB()
	s.must(err)
	if s.digests == nil {
		var tables []string
		s.must(s.st.DB.Raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).Scan(&tables).Error)
		s.digests = map[string]string{}
		for _, tbl := range tables {
			var cols []string
			s.must(s.st.DB.Raw(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, tbl).Scan(&cols).Error)
			cols = slices.DeleteFunc(cols, func(c string) bool { return lockout[c] })
			if !unaudited[tbl] {
				s.digests[tbl] = `SELECT "` + strings.Join(cols, `", "`) + `" FROM "` + tbl + `"`
			}
		}
	}
	out := make(map[string]string, len(s.digests))
	for tbl, query := range s.digests {
		rows, err := db.Query(query)
		s.must(err)
		cols, err := rows.Columns()
		s.must(err)
		vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		h, n := sha256.New(), 0
		for rows.Next() {
			s.must(rows.Scan(ptrs...))
			fmt.Fprintf(h, "%v\n", vals)
			n++
		}
		s.must(rows.Err())
		s.must(rows.Close())
		out[tbl] = fmt.Sprintf("%d rows %x", n, h.Sum(nil)[:6])
	}
	return out
}

// changed names the tables whose digest differs.
func changed(before, after map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if before[k] != after[k] {
			out = append(out, k)
		}
	}
	return out
}

// refusal says how a caller who may not call a route is refused, as the
// code does: without the session the route needs, the API answers 401
// and a page sends to its sign-in page (the staff's, or the journal's);
// a signed-in staff user who may not answers 403.
func (s *mxSite) checkRefusal(t *testing.T, path string, rt agentRoute, c *mxCaller, a mxAnswer) {
	t.Helper()
	api := isAPI(path)
	journal := rt.may == journalOwner
	switch {
	case journal:
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/journal/login" {
			t.Errorf("%s: %d to %q, want 303 to /journal/login", c.name, a.status, a.header.Get("Location"))
		}
	case !c.staff && api:
		if a.status != http.StatusUnauthorized || !strings.HasPrefix(a.header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s, want a 401 problem: %.200s", c.name, a.status, a.header.Get("Content-Type"), a.body)
		}
	case !c.staff:
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/login?next="+url.QueryEscape(path) {
			t.Errorf("%s: %d to %q, want 303 to the sign-in page", c.name, a.status, a.header.Get("Location"))
		}
	case api:
		if a.status != http.StatusForbidden || !strings.HasPrefix(a.header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s, want a 403 problem: %.200s", c.name, a.status, a.header.Get("Content-Type"), a.body)
		}
	default:
		if a.status != http.StatusForbidden || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s, want the 403 page: %.200s", c.name, a.status, a.header.Get("Content-Type"), a.body)
		}
	}
}

// TestAgentAuthorizationMatrix calls every route registered on the agent
// as nobody, as a participant signed in to their journal, as a coach who
// does not lead the participant or cohort the path names, as the coach
// who leads them and as the Program Director, and checks who gets in.
func TestAgentAuthorizationMatrix(t *testing.T) {
	s := newMXSite(t)
	engine := s.srv.Config.Handler.(*gin.Engine)
	for _, r := range routetest.Classified(t, engine, agentMatrix) {
		key := r.Method + " " + r.Path
		rt := agentMatrix[key]
		t.Run(key, func(t *testing.T) {
			path := s.fill(rt.path)
			var body map[string]any
			if rt.body != nil {
				body = s.fillAny(rt.body).(map[string]any)
			}
			succeeded := false
			for _, c := range s.callers() {
				allowed := s.allowed(rt.may, c)
				if rt.signsOut {
					c = s.fresh(c)
				}
				before := s.state()
				a := s.send(r.Method, rt, c, body, nil)
				if a.status >= 500 {
					t.Errorf("%s: %d: %.300s", c.name, a.status, a.body)
				}
				if (c == s.other || c == s.anon) && strings.Contains(a.body, mxSurname) {
					t.Errorf("%s: the answer (%d) names a participant of another coach: %.300s", c.name, a.status, a.body)
				}
				if !allowed {
					s.checkRefusal(t, path, rt, c, a)
					if after := s.state(); !maps.Equal(before, after) {
						t.Errorf("%s: a refused request changed %v", c.name, changed(before, after))
					}
					continue
				}
				// The first allowed caller's request succeeds; later ones
				// may find it done (a meeting already deleted).
				if a.status >= 400 {
					if !succeeded {
						t.Errorf("%s: the first allowed call failed with %d: %s", c.name, a.status, a.gist())
					} else {
						t.Logf("note: %s, allowed, got %d after an allowed call changed it: %.200s", c.name, a.status, a.gist())
					}
				}
				succeeded = true
			}
		})
	}
}
