package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/program"
)

// Store is the agent's database: the shared core (the handle, the clock,
// meta, the release, users and sessions, who may see whom, the audit log)
// and the queries of each capability, a type each over the core, which
// Store gathers so that a caller keeps one handle (st.AddCohort is
// st.cohortStore.AddCohort).
type Store struct {
	Participants participantStore
	Coaches      coachStore
	Cohorts      cohortStore
	Meetings     meetingStore
	Pairs        pairStore
	Outings      outingStore
	Stipends     stipendStore
	Journals     journalStore
	Outcomes     outcomeStore
	Surveys      surveyStore
	Outbox       outboxStore
	TA           taStore
	Home         homeStore

	DB *gorm.DB
	// reader is a query-only pool for consistent reads that must not take
	// the write lock (see ReadSnapshot).
	reader *gorm.DB
	// releases caches parsed releases by version (they never change).
	releases sync.Map
	Log      *slog.Logger
	Now      func() time.Time
	// Path is the SQLite file.
	Path string
	// version is the data version (Version); figures what pages computed
	// at it.
	version *atomic.Uint64
	figures *figures
	// auditLog writes audit lines without moving the version.
	auditLog *gorm.DB
}

// Errors a caller turns into a message for the user.
var (
	ErrNotFound    = errors.New("not found")
	ErrNotEnrolled = errors.New("this agent is not enrolled with a hub: run `agent enroll --hub URL --token TOKEN`")
)

// ValidationError is a client's mistake in one field: problem.Invalid,
// the one validation error of both programs.
type ValidationError = problem.Invalid

// Open opens (creating if needed) and migrates the agent database.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	if dbx.IsPostgres(path) {
		return nil, errors.New("the agent keeps its data in a SQLite file; --db must be a file path")
	}
	db, err := dbx.Open(path, log)
	if err != nil {
		return nil, err
	}
	if err := dbx.Migrate(db.WithContext(ctx), Migrations()); err != nil {
		_ = dbx.Close(db)
		return nil, err
	}
	reader, err := dbx.OpenSQLiteReader(path, log)
	if err != nil {
		_ = dbx.Close(db)
		return nil, err
	}
	return newStore(db, reader, log, path), nil
}

// The queries of each capability, over the core.
type (
	// participantStore: participants, intake, POM interviews, the CSV
	// import.
	participantStore struct{ st *Store }
	// coachStore: coaches, their certification (the site's and the
	// hub's) and the release's kit files.
	coachStore struct{ st *Store }
	// cohortStore: cohorts and their members.
	cohortStore struct{ st *Store }
	// meetingStore: cohort meetings, attendance and skills.
	meetingStore struct{ st *Store }
	// pairStore: peer pairs and pairing profiles.
	pairStore struct{ st *Store }
	// outingStore: social outings.
	outingStore struct{ st *Store }
	// stipendStore: goals, spending plans, expenses, receipts, payments
	// and the month's report.
	stipendStore struct{ st *Store }
	// journalStore: the weekly journal and the participant's own access.
	journalStore struct{ st *Store }
	// outcomeStore: hospitalizations, service changes, participation.
	outcomeStore struct{ st *Store }
	// surveyStore: the anonymous satisfaction survey.
	surveyStore struct{ st *Store }
	// outboxStore: the de-identified records waiting for the hub.
	outboxStore struct{ st *Store }
	// taStore: technical assistance requests.
	taStore struct{ st *Store }
	// homeStore: what is due (the site's home page) and the filtered
	// participant list.
	homeStore struct{ st *Store }
)

// newStore makes the store over its handles, each capability's queries
// over it.
func newStore(db, reader *gorm.DB, log *slog.Logger, path string) *Store {
	s := &Store{DB: db, reader: reader, Log: log, Now: func() time.Time { return time.Now().UTC() }, Path: path, version: &atomic.Uint64{}, figures: &figures{}}
	s.auditLog = countChanges(db, s.version)
	s.Participants, s.Coaches, s.Cohorts, s.Meetings = participantStore{s}, coachStore{s}, cohortStore{s}, meetingStore{s}
	s.Pairs, s.Outings, s.Stipends, s.Journals = pairStore{s}, outingStore{s}, stipendStore{s}, journalStore{s}
	s.Outcomes, s.Surveys, s.Outbox, s.TA = outcomeStore{s}, surveyStore{s}, outboxStore{s}, taStore{s}
	s.Home = homeStore{s}
	return s
}

// ReadSnapshot runs fn in a read-only transaction on a consistent snapshot
// that does not block writers (reports, month views).
func (s *Store) ReadSnapshot(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.reader.WithContext(ctx).Transaction(fn)
}

// CheckBackup tells whether a file is an agent database, without changing
// it: it must exist, be SQLite and hold the agent's tables.
func CheckBackup(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	head := make([]byte, 16)
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || string(head) != "SQLite format 3\x00" {
		return errors.New("it is not a SQLite database")
	}
	db, err := gorm.Open(sqlite.Open("file:"+path+"?mode=ro"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return err
	}
	defer dbx.Close(db)
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('agent_meta', 'sync_records', 'participants', 'schema_migrations')").Scan(&n).Error; err != nil {
		return err
	}
	if n != 4 {
		return errors.New("it is a SQLite database but not an agent's")
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	_ = dbx.Close(s.reader)
	return dbx.Close(s.DB)
}

// Meta keys.
const (
	MetaHubURL      = "hub_url"
	MetaSiteID      = "site_id"
	MetaSiteName    = "site_name"
	MetaOrgName     = "org_name"
	MetaCredential  = "credential"
	MetaGeneration  = "hub_generation"
	MetaBatchSeq    = "batch_seq"
	MetaPullCursor  = "pull_cursor"
	MetaRelease     = "release"
	MetaLastSync    = "last_sync"
	MetaLastError   = "last_sync_error"
	MetaLastSuccess = "last_sync_success"
	// MetaOutcomesRefreshed is the day the computed outcome records were
	// last brought up to date.
	MetaOutcomesRefreshed = "outcomes_refreshed_on"
	// MetaStarted is when agent serve or demo-seed first ran on the
	// database: it holds an agent although not enrolled yet (HoldsAgent).
	MetaStarted = "agent_started"
)

// GetMeta reads a meta value ("" when unset).
func GetMeta(db *gorm.DB, key string) (string, error) {
	var m Meta
	err := db.First(&m, "key = ?", key).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	return m.Value, err
}

// SetMeta writes a meta value.
func SetMeta(db *gorm.DB, key, value string) error {
	return db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value"})}).
		Create(&Meta{Key: key, Value: value}).Error
}

// Meta reads a meta value.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	return GetMeta(s.DB.WithContext(ctx), key)
}

// SetMeta writes a meta value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return SetMeta(s.DB.WithContext(ctx), key, value)
}

// Enrollment is what the agent needs to talk to its hub.
type Enrollment struct {
	HubURL, SiteID, SiteName, OrgName, Credential, Generation string
}

// Enrollment returns the stored enrollment or ErrNotEnrolled.
// Every page names the site, so the enrollment is kept until the data
// version moves or the minute changes (an enrollment by another process).
func (s *Store) Enrollment(ctx context.Context) (Enrollment, error) {
	type kept struct {
		e   Enrollment
		err error
	}
	v, key := s.Version(), "enrollment|"+s.Now().UTC().Format("2006-01-02T15:04")
	if x, ok := s.figures.get(v, key); ok {
		return x.(kept).e, x.(kept).err
	}
	e, err := s.enrollment(ctx)
	if err == nil || errors.Is(err, ErrNotEnrolled) {
		s.figures.put(v, key, kept{e, err})
	}
	return e, err
}

func (s *Store) enrollment(ctx context.Context) (Enrollment, error) {
	var ms []Meta
	if err := s.DB.WithContext(ctx).Find(&ms).Error; err != nil {
		return Enrollment{}, err
	}
	m := map[string]string{}
	for _, x := range ms {
		m[x.Key] = x.Value
	}
	e := Enrollment{HubURL: m[MetaHubURL], SiteID: m[MetaSiteID], SiteName: m[MetaSiteName], OrgName: m[MetaOrgName], Credential: m[MetaCredential], Generation: m[MetaGeneration]}
	if e.Credential == "" || e.HubURL == "" {
		return e, ErrNotEnrolled
	}
	return e, nil
}

// HoldsAgent reports whether the database holds an agent: it is enrolled,
// agent serve or demo-seed has run on it (MetaStarted), or it holds
// accounts or participants. A database an interrupted or failed enroll
// left behind holds none of these.
func (s *Store) HoldsAgent(ctx context.Context) (bool, error) {
	if _, err := s.enrollment(ctx); err == nil {
		return true, nil
	} else if !errors.Is(err, ErrNotEnrolled) {
		return false, err
	}
	var n int64
	err := s.DB.WithContext(ctx).Raw(`SELECT (SELECT COUNT(*) FROM agent_meta WHERE key = ?) + EXISTS (SELECT 1 FROM users) + EXISTS (SELECT 1 FROM participants)`, MetaStarted).Scan(&n).Error
	return n > 0, err
}

// MarkStarted records, once, that an agent runs on the database
// (MetaStarted).
func (s *Store) MarkStarted(ctx context.Context) error {
	return s.DB.WithContext(ctx).Exec("INSERT INTO agent_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", MetaStarted, s.Now().Format(time.RFC3339)).Error
}

// SaveEnrollment stores a new enrollment. A different hub generation from a
// previous enrollment makes every record due again.
func (s *Store) SaveEnrollment(ctx context.Context, e Enrollment) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		prevSite, err := GetMeta(tx, MetaSiteID)
		if err != nil {
			return err
		}
		for k, v := range map[string]string{MetaHubURL: e.HubURL, MetaSiteID: e.SiteID, MetaSiteName: e.SiteName, MetaOrgName: e.OrgName, MetaCredential: e.Credential, MetaGeneration: e.Generation} {
			if err := SetMeta(tx, k, v); err != nil {
				return err
			}
		}
		if prevSite != "" && prevSite != e.SiteID {
			return fmt.Errorf("this agent's data belongs to site %s and cannot be enrolled as another site", prevSite)
		}
		// A (re-)enrollment resends everything: the hub's idempotent
		// storage absorbs what it already holds.
		if _, err := rewind(tx, 0); err != nil {
			return err
		}
		return tx.Exec("DELETE FROM sync_acks").Error
	})
}

// ActiveRelease returns the release the site runs: the newest received, or
// the built-in first release before the first pull.
func (s *Store) ActiveRelease(ctx context.Context) (program.Release, error) {
	return s.releaseIn(s.DB.WithContext(ctx))
}

// releaseIn is ActiveRelease read through db (a caller's transaction).
func (s *Store) releaseIn(db *gorm.DB) (program.Release, error) {
	v, err := GetMeta(db, MetaRelease)
	if err != nil {
		return program.Release{}, err
	}
	if v == "" {
		return program.Default(), nil
	}
	if rel, ok := s.releases.Load(v); ok {
		return rel.(program.Release), nil
	}
	var r Release
	if err := db.First(&r, "version = ?", v).Error; err != nil {
		return program.Release{}, err
	}
	rel, err := program.ParseReceived([]byte(r.Content))
	if err != nil {
		return rel, err
	}
	// A stored release never changes: parse each version once.
	s.releases.Store(v, rel)
	return rel, nil
}

// SaveRelease stores a release from the hub after checking the bytes it
// received against their checksum, and makes it the one the site runs.
// Fields this agent does not know are kept in the stored content and
// ignored until an agent that knows them reads it.
func (s *Store) SaveRelease(ctx context.Context, version, sha string, content []byte) error {
	if sum := sha256.Sum256(content); hex.EncodeToString(sum[:]) != sha {
		return fmt.Errorf("release %s does not match its checksum", version)
	}
	rel, err := program.ParseReceived(content)
	if err != nil {
		return err
	}
	if rel.Version != version {
		return fmt.Errorf("release %s holds version %s", version, rel.Version)
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Release{Version: version, SHA256: sha, Content: string(content), ReceivedAt: s.Now()}).Error; err != nil {
			return err
		}
		if err := SetMeta(tx, MetaRelease, version); err != nil {
			return err
		}
		// The release sets the smallest group of the quasi-identifier
		// rule: describe again whoever it changes.
		return s.Outcomes.refreshOutcomes(tx, nil, nil)
	})
}

// NextBatchSeq reserves the next batch sequence number.
func (s *Store) NextBatchSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		seq, err = nextBatchSeq(tx)
		return err
	})
	return seq, err
}

// ErrBatchSeqRange means the agent's batch counter is not a number it may
// send; the next round's status sets it back from the hub's (Reconcile).
var ErrBatchSeqRange = errors.New("the batch sequence counter is out of range; the next sync round sets it from the hub's status")

func nextBatchSeq(tx *gorm.DB) (int64, error) {
	cur, ok, err := batchCounter(tx)
	if err != nil {
		return 0, err
	}
	// Checked, never wrapping: a counter at the bound stays there.
	if !ok || cur >= contract.MaxBatchSeq {
		return 0, ErrBatchSeqRange
	}
	seq := cur + 1
	return seq, SetMeta(tx, MetaBatchSeq, strconv.FormatInt(seq, 10))
}

// batchCounter reads the last batch sequence number used; ok is false when
// the stored value is not one the agent may count on from (not a number,
// negative, or beyond contract.MaxBatchSeq).
func batchCounter(tx *gorm.DB) (int64, bool, error) {
	v, err := GetMeta(tx, MetaBatchSeq)
	if err != nil || v == "" {
		return 0, err == nil, err
	}
	cur, perr := strconv.ParseInt(v, 10, 64)
	return cur, perr == nil && cur >= 0 && cur <= contract.MaxBatchSeq, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func newID() string { return uuid.NewString() }
