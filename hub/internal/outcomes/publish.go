package outcomes

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/suppress"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
)

// A publication is every outcomes report the hub can show for one version
// of the rollups, with small-cell suppression decided over all of them at
// once: every filter, and every combination of filters, is a node of one
// lattice (place × program model × enrollment year), and the suppression
// of a node takes every other node into account (package suppress, fed
// with the rollups' counts). Reports are then read from memory; a new
// version of the rollups makes a new publication.
type publication struct {
	version string
	asOf    time.Time
	min     int64
	sites   map[string]siteInfo
	orgs    map[string]siteInfo // an organization's type and state, from its sites
	// lat is every report, its counts and their suppression.
	lat *suppress.Lattice
	// started and took are when the build began and how long it took.
	started time.Time
	took    time.Duration
}

// placesOf names the places that count a site, as a report's node names
// its place: "" national, "t:" organization type, "s:" state, "ts:" type
// and state, "o:" organization, "x:" site.
func placesOf(si siteInfo) [6]string {
	return [6]string{"", "t:" + si.OrgType, "s:" + si.State, "ts:" + si.OrgType + "|" + si.State, "o:" + si.OrgID, "x:" + si.ID}
}

// nodeFor is the node a filter's report is, or ok false when the filter
// cannot match anything (a site outside the organization asked for, an
// organization of another type or state).
func (p *publication) nodeFor(f OutcomeFilter) (suppress.Node, bool) {
	k := suppress.Node{Model: suppress.AllModels, Year: f.Year}
	if f.Model != "" {
		k.Model = f.Model
	}
	var si siteInfo
	switch {
	case f.SiteID != "":
		var ok bool
		if si, ok = p.sites[f.SiteID]; !ok || (f.OrgID != "" && f.OrgID != si.OrgID) {
			return k, false
		}
		k.Place = "x:" + si.ID
	case f.OrgID != "":
		var ok bool
		if si, ok = p.orgs[f.OrgID]; !ok {
			return k, false // no site: nothing to report
		}
		k.Place = "o:" + f.OrgID
	case f.OrgType != "" && f.State != "":
		return suppress.Node{Place: "ts:" + f.OrgType + "|" + f.State, Model: k.Model, Year: k.Year}, true
	case f.OrgType != "":
		return suppress.Node{Place: "t:" + f.OrgType, Model: k.Model, Year: k.Year}, true
	case f.State != "":
		return suppress.Node{Place: "s:" + f.State, Model: k.Model, Year: k.Year}, true
	default:
		return k, true
	}
	if (f.OrgType != "" && f.OrgType != si.OrgType) || (f.State != "" && f.State != si.State) {
		return k, false
	}
	return k, true
}

// view is one report of a publication: its counts and their suppression
// by cell name. A node with no records counts zero everywhere.
type view struct {
	p    *publication
	node int // -1: nothing matches
	key  suppress.Node
}

func (p *publication) view(f OutcomeFilter) view {
	k, ok := p.nodeFor(f)
	if !ok {
		return view{p: p, node: -1, key: k}
	}
	n, ok := p.lat.Node(k)
	if !ok {
		n = -1
	}
	return view{p: p, node: n, key: k}
}

// at is a cell's place in the lattice's counts, ok false when the report
// or the cell counts nothing.
func (v view) at(cell string) (int, bool) {
	c, ok := v.p.lat.Cell(cell)
	if !ok || v.node < 0 {
		return 0, false
	}
	return v.node*len(v.p.lat.Cells) + c, true
}

// has reports whether the publication holds a cell at all (a service
// change some site recorded, say).
func (p *publication) has(cell string) bool { _, ok := p.lat.Cell(cell); return ok }

func (v view) val(cell string) int64 {
	if i, ok := v.at(cell); ok {
		return v.p.lat.Counts[i]
	}
	return 0
}

func (v view) hid(cell string) bool {
	i, ok := v.at(cell)
	return ok && v.p.lat.Hidden[i]
}

// sites are the report's per-site breakdown: the site nodes under its
// place with its model and year, each a view of its own.
func (v view) sites() []view {
	if v.node < 0 {
		return nil
	}
	var out []view
	for _, si := range v.p.lat.Sites {
		if !slices.Contains(si.Places[:], v.key.Place) {
			continue
		}
		k := suppress.Node{Place: "x:" + si.ID, Model: v.key.Model, Year: v.key.Year}
		if n, ok := v.p.lat.Node(k); ok {
			out = append(out, view{p: v.p, node: n, key: k})
		}
	}
	return out
}

func (v view) site() siteInfo { return v.p.sites[strings.TrimPrefix(v.key.Place, "x:")] }

// loadPublication reads the rollups on one snapshot and decides their
// suppression.
func (s *Store) loadPublication(ctx context.Context, min int64) (*publication, error) {
	p := &publication{min: min}
	var cells rawCells
	// Cell indexes, looked up once per indicator or statement rather than
	// per row.
	type idx3 struct{ n, present, absent int }
	pomCells, surveyCells := map[[2]string]idx3{}, map[[2]string]idx3{}
	err := s.snapshot(ctx, func(db *gorm.DB) error {
		db = db.WithContext(ctx)
		if err := db.Raw("SELECT value FROM hub_meta WHERE key = ?", metaRollupVersion).Scan(&p.version).Error; err != nil {
			return err
		}
		p.asOf = s.Now()
		var err error
		if p.sites, err = s.siteInfos(ctx, db); err != nil {
			return err
		}
		p.orgs = map[string]siteInfo{}
		for _, si := range p.sites {
			p.orgs[si.OrgID] = siteInfo{OrgID: si.OrgID, OrgName: si.OrgName, OrgType: si.OrgType, State: si.State}
		}
		scan := func(q string, dest []any, each func()) error { return scanRows(db, q, dest, each) }
		var b suppress.Base
		var tp, code, answer string
		var n, present int64
		if err := scan("SELECT site_id, model, year, timepoint, indicator_code, n, present FROM rollup_pom", []any{&b.Site, &b.Model, &b.Year, &tp, &code, &n, &present}, func() {
			ix, ok := pomCells[[2]string{tp, code}]
			if !ok {
				cells.pomFamily(code)
				k := "pom/" + tp + "/" + code + "/"
				ix = idx3{cells.cell(k + "n"), cells.cell(k + "present"), cells.cell(k + "absent")}
				pomCells[[2]string{tp, code}] = ix
			}
			v := cells.at(b)
			v[ix.n] += n
			v[ix.present] += present
			v[ix.absent] += n - present
		}); err != nil {
			return err
		}
		if err := cells.scanPairs(scan); err != nil {
			return err
		}
		if err := cells.scanHospital(scan); err != nil {
			return err
		}
		if err := cells.scanMonths(scan); err != nil {
			return err
		}
		if err := scan("SELECT site_id, model, year, statement_code, answer, n FROM rollup_survey", []any{&b.Site, &b.Model, &b.Year, &code, &answer, &n}, func() {
			ix, ok := surveyCells[[2]string{code, answer}]
			if !ok {
				for _, a := range contract.SurveyAnswers { // every answer is a cell of the statement
					cells.cell("survey/" + code + "/" + a)
				}
				ix = idx3{n: cells.cell("survey/" + code + "/n"), present: cells.cell("survey/" + code + "/" + answer)}
				surveyCells[[2]string{code, answer}] = ix
			}
			v := cells.at(b)
			v[ix.present] += n
			v[ix.n] += n
		}); err != nil {
			return err
		}
		vals := make([]int64, len(peopleCols))
		dest := []any{&b.Site, &b.Model, &b.Year}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		people := make([]int, len(totalKeys))
		for i, k := range totalKeys {
			people[i] = cells.cell(k)
		}
		return scan("SELECT site_id, model, year, "+strings.Join(peopleCols, ", ")+" FROM rollup_people", dest, func() {
			v := cells.at(b)
			for i, x := range people {
				v[x] += vals[i]
			}
		})
	})
	if err != nil {
		return nil, err
	}
	if p.lat, err = suppress.Build(p.input(&cells)); err != nil {
		return nil, err
	}
	return p, nil
}

// snapshot runs fn on one consistent view of the database: a read-only
// repeatable-read transaction on PostgreSQL, so a projection committing
// meanwhile cannot make the figures and their suppression disagree.
// SQLite (one embedded hub) reads without a transaction, which there
// would take the write lock.
func (s *Store) snapshot(ctx context.Context, fn func(db *gorm.DB) error) error {
	if s.Dialect() != dbx.Postgres {
		return fn(s.DB)
	}
	return s.DB.WithContext(ctx).Transaction(fn, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
}

// staleWait is how long a report waits for the publication of new data
// before it answers from the one before (which says when it was made).
// The serving hub's background work publishes after every projection
// pass, so a request rarely waits at all.
const staleWait = 2 * time.Second

// restFactor spaces long builds out while data keeps changing: after a
// build of more than restAfter, the next one starts no sooner than
// restFactor times its duration after it began. A build of a national
// picture (four seconds) then runs at most every 16, so a hub taking
// records all day spends at most a quarter of its cores on it, and its
// reports are at most that much older than the data. Short builds (a few
// hundred sites) are never held up.
const (
	restFactor = 4
	restAfter  = 500 * time.Millisecond
)

// resting reports whether p is too recent to build another.
func (p *publication) resting(now time.Time) bool {
	return p.took > restAfter && now.Sub(p.started) < restFactor*p.took
}

// pubCache keeps the newest publication per minimum cell and builds the
// next one at most once at a time.
type pubCache struct {
	// wait is how long a request waits for a new publication (staleWait).
	wait time.Duration
	// loaded, when set, is called with each build before it is kept (tests
	// hold a build back with it).
	loaded   func(*publication)
	mu       sync.Mutex
	cur      map[int64]*publication
	building map[int64]*pubFlight
}

// pubFlight is one build in progress, started then; done closes when p
// or err is set.
type pubFlight struct {
	started time.Time
	done    chan struct{}
	p       *publication
	err     error
}

func newPubCache() *pubCache {
	return &pubCache{wait: staleWait, cur: map[int64]*publication{}, building: map[int64]*pubFlight{}}
}

// rollupVersion is the current version of the rollups.
func (s *Store) rollupVersion(ctx context.Context) (string, error) {
	var v string
	err := s.DB.WithContext(ctx).Raw("SELECT value FROM hub_meta WHERE key = ?", metaRollupVersion).Scan(&v).Error
	return v, err
}

// build starts (or joins) the build of a publication of the newest data.
func (s *Store) build(min int64) *pubFlight {
	c := s.pubs()
	c.mu.Lock()
	defer c.mu.Unlock()
	if fl := c.building[min]; fl != nil {
		return fl
	}
	fl := &pubFlight{started: time.Now(), done: make(chan struct{})}
	c.building[min] = fl
	go func() {
		// Detached from the request that asked: others wait for it too.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		start := time.Now()
		p, err := s.loadPublication(ctx, min)
		if err == nil {
			p.started, p.took = start, time.Since(start)
		}
		if err == nil && c.loaded != nil {
			c.loaded(p)
		}
		if err != nil {
			s.Log.Error("outcomes publication failed", "err", err)
		} else if p.lat.Uncertified > 0 {
			s.Log.Error("outcomes publication: small cells without a certificate", "cells", p.lat.Uncertified)
		} else {
			s.Log.Debug("outcomes published", "nodes", len(p.lat.Nodes), "cells", len(p.lat.Counts), "primary", p.lat.Primary, "complements", p.lat.Complements, "took", p.took)
		}
		c.mu.Lock()
		if err == nil {
			c.cur[min] = p
		}
		delete(c.building, min)
		fl.p, fl.err = p, err
		c.mu.Unlock()
		close(fl.done)
	}()
	return fl
}

// published is the publication of the current data for a minimum cell:
// built now when there is none or the data changed (unless the last build
// is resting), or, when that takes longer than the cache's wait, the one
// before.
func (s *Store) published(ctx context.Context, min int64) (*publication, error) {
	return s.publish(ctx, min, s.pubs().wait)
}

// PublishOutcomes makes the outcomes reports of the current data ready
// for a minimum cell (DefaultMinCell when below 1), so the next request
// needs no wait. The projector calls it after each pass.
func (s *Store) PublishOutcomes(ctx context.Context, minCell int) error {
	if minCell < 1 {
		minCell = DefaultMinCell
	}
	_, err := s.publish(ctx, int64(minCell), -1)
	return err
}

// StartPublication publishes the outcomes reports of new data without
// waiting for the build when a publication is there to answer from
// meanwhile (the first one is waited for): the projector goes on folding
// records into the rollups while a national build runs, and the build,
// which reads them in one snapshot, is started again on its next round
// once it rests (see publication.resting).
func (s *Store) StartPublication(ctx context.Context, minCell int) error {
	if minCell < 1 {
		minCell = DefaultMinCell
	}
	_, err := s.publish(ctx, int64(minCell), 0)
	return err
}

// publish is published waiting at most wait for a new build (wait < 0: as
// long as it takes). A build failure keeps the publication before, if
// any (the build logs it).
func (s *Store) publish(ctx context.Context, min int64, wait time.Duration) (*publication, error) {
	v, err := s.rollupVersion(ctx)
	if err != nil {
		return nil, err
	}
	asked := time.Now()
	s.pubs().mu.Lock()
	p := s.pubs().cur[min]
	s.pubs().mu.Unlock()
	if p != nil && (p.version == v || p.resting(asked)) {
		return p, nil
	}
	var stale <-chan time.Time
	if p != nil && wait >= 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		stale = t.C
	}
	for {
		fl := s.build(min)
		select {
		case <-fl.done:
		case <-stale:
			return p, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		switch {
		case fl.err != nil && p != nil:
			return p, nil
		case fl.err != nil:
			return nil, fl.err
		case fl.p.version == v || !fl.started.Before(asked):
			return fl.p, nil // read no earlier than the data asked for
		}
		// A build that had started before the data changed: once more.
		p = fl.p
	}
}

// pubKey keys the publication cache in the database handle's Cache: one
// cache per handle, whichever outcomes Store asks.
type pubKey struct{}

// pubs is the outcomes reports as last published (publication).
func (s *Store) pubs() *pubCache {
	if c, ok := s.Cache.Load(pubKey{}); ok {
		return c.(*pubCache)
	}
	c, _ := s.Cache.LoadOrStore(pubKey{}, newPubCache())
	return c.(*pubCache)
}
