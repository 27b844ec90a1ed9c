package store

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/program"
	"github.com/itsmylife/iml/pkg/secret"
)

// The satisfaction survey is anonymous at the source. A survey row holds
// the year, the timepoint, the program model (when the coach chose one),
// the release and the answers: no participant, cohort, staff member or
// time finer than the year, and the table has no rowid, so not even the
// order rows were written in survives. Surveys are handed to the outbox
// only in shuffled batches (ReleaseSurveys), so their place in the outbox
// says nothing about when each was filled in either.

// DefaultSurveyBatch is how many surveys must be waiting before they are
// handed to the outbox together.
const DefaultSurveyBatch = 5

// MaxSurveyCodes bounds the codes issued at once.
const MaxSurveyCodes = 100

// Kinds of survey pass.
const (
	PassCode   = "code"
	PassDevice = "device"
)

// ErrSurveyPass refuses a survey code or survey-mode device that is not
// (or no longer) valid. Its message is for the person at the survey page.
var ErrSurveyPass = errors.New(i18n.M("this survey code is not valid: it may have been used already or expired; ask your coach for a new one"))

// SurveyInput is a survey as staff enter it from paper, or as the survey
// page submits it (then the timepoint and model come from the pass).
type SurveyInput struct {
	Timepoint string            `json:"timepoint"`
	Model     string            `json:"model"`
	Answers   map[string]string `json:"answers"`
}

// SurveyPass lets a participant fill in one survey (a code) or any number
// on a device in survey mode, for a timepoint.
type SurveyPass struct {
	Hash      string
	Kind      string
	Timepoint string
	Model     string
	Year      int
	ExpiresOn string
}

// validateSurvey checks a survey against the release the site runs: a
// known timepoint and model, at least one answered statement, and only the
// release's statements and answers.
func validateSurvey(rel program.Release, in SurveyInput) error {
	errs := passInputErrors(in.Timepoint, in.Model)
	answers := map[string]bool{}
	for _, a := range rel.Survey.Answers {
		answers[a.Code] = true
	}
	statements := map[string]bool{}
	for _, st := range rel.Survey.Statements {
		statements[st.Code] = true
	}
	n := 0
	for code, a := range in.Answers {
		switch {
		case !statements[code]:
			errs = append(errs, ValidationError{Field: "answers." + code, Msg: "This answer is to a statement the survey of release " + rel.Version + " does not have: reload the page and answer the statements it shows"})
		case a == "":
			// skipped
		case !answers[a]:
			errs = append(errs, ValidationError{Field: "answers." + code, Msg: i18n.M("Choose one of the four answers")})
		default:
			n++
		}
	}
	if n == 0 && len(errs) == 0 {
		errs = append(errs, ValidationError{Field: "answers", Msg: i18n.M("Answer at least one statement")})
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
		return errs
	}
	return nil
}

// insertSurvey stores a checked survey in the caller's transaction.
func insertSurvey(tx *gorm.DB, rel program.Release, year int, in SurveyInput) error {
	kept := map[string]string{}
	for code, a := range in.Answers {
		if a != "" {
			kept[code] = a
		}
	}
	id := deident.NewRecordID(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC))
	return tx.Exec("INSERT INTO surveys (id, year, timepoint, model, release, answers, released) VALUES (?,?,?,?,?,?,0)",
		id, year, in.Timepoint, in.Model, rel.Version, mustJSON(kept)).Error
}

// RecordSurvey stores a survey staff entered from a paper form.
func (s *surveyStore) RecordSurvey(ctx context.Context, in SurveyInput) error {
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return err
	}
	if err := validateSurvey(rel, in); err != nil {
		return err
	}
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return insertSurvey(tx, rel, s.st.Now().Year(), in)
	})
}

func passHash(token string) string { return secret.Hash(normalizeCode(token)) }

// normalizeCode makes a typed code comparable: upper case, without spaces
// and dashes.
func normalizeCode(c string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, strings.TrimSpace(c))
}

// codeAlphabet leaves out letters and digits that are easily confused.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func newCode() string {
	var b [10]byte
	if _, err := crand.Read(b[:]); err != nil {
		panic(err)
	}
	out := make([]byte, 0, 11)
	for i, x := range b {
		if i == 5 {
			out = append(out, '-')
		}
		out = append(out, codeAlphabet[int(x)%len(codeAlphabet)])
	}
	return string(out)
}

func checkPassInput(timepoint, model string) error {
	if errs := passInputErrors(timepoint, model); len(errs) > 0 {
		return errs
	}
	return nil
}

// passInputErrors checks a survey's timepoint and program model.
func passInputErrors(timepoint, model string) ValidationErrors {
	var errs ValidationErrors
	if timepoint != contract.TimepointMidpoint && timepoint != contract.TimepointClosing {
		errs = append(errs, ValidationError{Field: "timepoint", Msg: "Choose the timepoint: the mid-point (midpoint) or the end of the program (closing)"})
	}
	if model != "" && !slices.Contains(contract.Models, model) {
		errs = append(errs, ValidationError{Field: "model", Msg: "Choose a program model (" + strings.Join(contract.Models, " or ") + ") or leave it empty"})
	}
	return errs
}

// IssueSurveyCodes makes n single-use survey codes for a timepoint, valid
// for 60 days. The codes are shown once (only their hashes are kept) and
// nothing records who receives which: the coach hands them out.
func (s *surveyStore) IssueSurveyCodes(ctx context.Context, timepoint, model string, n int) ([]string, error) {
	if err := checkPassInput(timepoint, model); err != nil {
		return nil, err
	}
	if n < 1 || n > MaxSurveyCodes {
		return nil, &ValidationError{Field: "count", Msg: "Enter a number of codes from 1 to 100"}
	}
	codes := make([]string, n)
	expires := s.st.Pairs.today().AddDate(0, 0, 60).Format(dateLayout)
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i := range codes {
			codes[i] = newCode()
			if err := tx.Exec("INSERT INTO survey_passes (hash, kind, timepoint, model, year, expires_on) VALUES (?,?,?,?,?,?)",
				passHash(codes[i]), PassCode, timepoint, model, s.st.Now().Year(), expires).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return codes, err
}

// StartSurveyDevice puts a device in survey mode for a timepoint until the
// end of the day: the token it returns lets that device show the survey to
// one participant after another, and nothing else.
func (s *surveyStore) StartSurveyDevice(ctx context.Context, timepoint, model string) (string, error) {
	if err := checkPassInput(timepoint, model); err != nil {
		return "", err
	}
	var raw [32]byte
	if _, err := crand.Read(raw[:]); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(raw[:])
	err := s.st.DB.WithContext(ctx).Exec("INSERT INTO survey_passes (hash, kind, timepoint, model, year, expires_on) VALUES (?,?,?,?,?,?)",
		passHash(tok), PassDevice, timepoint, model, s.st.Now().Year(), s.st.Pairs.today().Format(dateLayout)).Error
	return tok, err
}

// EndSurveyDevice ends a device's survey mode.
func (s *surveyStore) EndSurveyDevice(ctx context.Context, token string) error {
	return s.st.DB.WithContext(ctx).Exec("DELETE FROM survey_passes WHERE hash = ? AND kind = ?", passHash(token), PassDevice).Error
}

func findPass(tx *gorm.DB, token, today string) (SurveyPass, error) {
	var ps []SurveyPass
	if token == "" {
		return SurveyPass{}, ErrSurveyPass
	}
	if err := tx.Raw("SELECT hash, kind, timepoint, model, year, expires_on FROM survey_passes WHERE hash = ?", passHash(token)).Scan(&ps).Error; err != nil {
		return SurveyPass{}, err
	}
	if len(ps) == 0 || ps[0].ExpiresOn < today {
		return SurveyPass{}, ErrSurveyPass
	}
	return ps[0], nil
}

// SurveyPassOf finds a valid pass by its code or device token.
func (s *surveyStore) SurveyPassOf(ctx context.Context, token string) (SurveyPass, error) {
	return findPass(s.st.DB.WithContext(ctx), token, s.st.Pairs.today().Format(dateLayout))
}

// SubmitSurvey stores a survey filled in on the survey page with a pass;
// a code is used up in the same transaction. The survey keeps nothing of
// the pass but its timepoint and model.
func (s *surveyStore) SubmitSurvey(ctx context.Context, token string, answers map[string]string) error {
	rel, err := s.st.ActiveRelease(ctx)
	if err != nil {
		return err
	}
	return s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := findPass(tx, token, s.st.Pairs.today().Format(dateLayout))
		if err != nil {
			return err
		}
		in := SurveyInput{Timepoint: p.Timepoint, Model: p.Model, Answers: answers}
		if err := validateSurvey(rel, in); err != nil {
			return err
		}
		if p.Kind == PassCode {
			// A code works once: only the submission that deletes it counts.
			res := tx.Exec("DELETE FROM survey_passes WHERE hash = ?", p.Hash)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return ErrSurveyPass
			}
		}
		return insertSurvey(tx, rel, s.st.Now().Year(), in)
	})
}

// storedSurvey is a survey row.
type storedSurvey struct {
	ID, Timepoint, Model, Release, Answers string
	Year                                   int
}

// ReleaseSurveys hands waiting surveys to the outbox, all at once and in
// random order, when at least minBatch are waiting, or when some were
// given in a year that has ended (they would otherwise wait for ever). It
// returns how many it released. The sync worker calls it before it sends.
func (s *surveyStore) ReleaseSurveys(ctx context.Context, minBatch int) (int, error) {
	if minBatch < 1 {
		minBatch = DefaultSurveyBatch
	}
	released := 0
	err := s.st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []storedSurvey
		if err := tx.Raw("SELECT id, year, timepoint, model, release, answers FROM surveys WHERE released = 0").Scan(&rows).Error; err != nil {
			return err
		}
		old := false
		for _, r := range rows {
			old = old || r.Year < s.st.Now().Year()
		}
		if len(rows) == 0 || (len(rows) < minBatch && !old) {
			return nil
		}
		var seed [32]byte
		if _, err := crand.Read(seed[:]); err != nil {
			return err
		}
		rnd := rand.New(rand.NewChaCha8(seed)) //nolint:gosec // G404: ChaCha8 seeded from crypto/rand is a cryptographic generator

		rnd.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		// One moment for the whole batch: the outbox's own clock column
		// tells no survey from another.
		now := time.Date(s.st.Now().Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		for _, r := range rows {
			answers := map[string]string{}
			if err := json.Unmarshal([]byte(r.Answers), &answers); err != nil {
				return err
			}
			p := contract.SurveyResponse{Year: r.Year, Timepoint: r.Timepoint, Model: r.Model, Release: r.Release, Answers: answers}
			if err := p.Validate(); err != nil {
				return err
			}
			if err := putRecord(tx, now, r.ID, contract.TypeSurveyResponse, p); err != nil {
				return err
			}
		}
		released = len(rows)
		return tx.Exec("UPDATE surveys SET released = 1 WHERE released = 0").Error
	})
	return released, err
}

// SurveyCount is how many surveys of a year and timepoint the site holds.
type SurveyCount struct {
	Year      int    `json:"year"`
	Timepoint string `json:"timepoint"`
	Waiting   int    `json:"waiting"`
	Released  int    `json:"released"`
}

// SurveyCounts counts the site's surveys by year and timepoint.
func (s *surveyStore) SurveyCounts(ctx context.Context) ([]SurveyCount, error) {
	out := []SurveyCount{}
	err := s.st.DB.WithContext(ctx).Raw(`SELECT year, timepoint, SUM(CASE WHEN released = 0 THEN 1 ELSE 0 END) AS waiting, SUM(released) AS released
FROM surveys GROUP BY year, timepoint ORDER BY year DESC, timepoint DESC`).Scan(&out).Error
	return out, err
}
