package store

import (
	"context"
	"database/sql"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx"
)

// A publication is every outcomes report the hub can show for one version
// of the rollups, with small-cell suppression decided over all of them at
// once: every filter, and every combination of filters, is a node of one
// lattice (place × program model × enrollment year), and the suppression
// of a node takes every other node into account. Reports are then read
// from memory; a new version of the rollups makes a new publication.
type publication struct {
	version string
	asOf    time.Time
	min     int64
	sites   map[string]siteInfo
	orgs    map[string]siteInfo // an organization's type and state, from its sites
	// siteIDs are the sites in order, with their places (placesOf).
	siteIDs    []string
	sitePlaces [][6]string
	cells      []string       // cell names, in order
	cellAt     map[string]int // cell name -> index
	keys       []nodeKey      // nodes, in order
	nodeAt     map[nodeKey]int
	vals       []int64 // node*len(cells) + cell
	hidden     []bool  // same layout
	// started and took are when the build began and how long it took.
	started time.Time
	took    time.Duration
	// Hidden counts the cells suppression hides: small ones (primary),
	// the unknown program model's, and their complements.
	primary, complements int
	// uncertified counts small cells left without a certificate: never
	// expected (the build logs an error if any is).
	uncertified int
}

// nodeKey names one report: a place ("" national, "t:" organization type,
// "s:" state, "ts:" type and state, "o:" organization, "x:" site), a
// program model (modelAll for every model, "" for records of no known
// model, which no filter shows) and an enrollment year (0 for every year).
type nodeKey struct {
	place, model string
	year         int
}

const modelAll = "*"

func placesOf(si siteInfo) [6]string {
	return [6]string{"", "t:" + si.OrgType, "s:" + si.State, "ts:" + si.OrgType + "|" + si.State, "o:" + si.OrgID, "x:" + si.ID}
}

// nodeFor is the node a filter's report is, or ok false when the filter
// cannot match anything (a site outside the organization asked for, an
// organization of another type or state).
func (p *publication) nodeFor(f OutcomeFilter) (nodeKey, bool) {
	k := nodeKey{model: modelAll, year: f.Year}
	if f.Model != "" {
		k.model = f.Model
	}
	var si siteInfo
	switch {
	case f.SiteID != "":
		var ok bool
		if si, ok = p.sites[f.SiteID]; !ok || (f.OrgID != "" && f.OrgID != si.OrgID) {
			return k, false
		}
		k.place = "x:" + si.ID
	case f.OrgID != "":
		var ok bool
		if si, ok = p.orgs[f.OrgID]; !ok {
			return k, false // no site: nothing to report
		}
		k.place = "o:" + f.OrgID
	case f.OrgType != "" && f.State != "":
		return nodeKey{"ts:" + f.OrgType + "|" + f.State, k.model, k.year}, true
	case f.OrgType != "":
		return nodeKey{"t:" + f.OrgType, k.model, k.year}, true
	case f.State != "":
		return nodeKey{"s:" + f.State, k.model, k.year}, true
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
	key  nodeKey
}

func (p *publication) view(f OutcomeFilter) view {
	k, ok := p.nodeFor(f)
	if !ok {
		return view{p: p, node: -1, key: k}
	}
	n, ok := p.nodeAt[k]
	if !ok {
		n = -1
	}
	return view{p: p, node: n, key: k}
}

func (v view) val(cell string) int64 {
	c, ok := v.p.cellAt[cell]
	if !ok || v.node < 0 {
		return 0
	}
	return v.p.vals[v.node*len(v.p.cells)+c]
}

func (v view) hid(cell string) bool {
	c, ok := v.p.cellAt[cell]
	if !ok || v.node < 0 {
		return false
	}
	return v.p.hidden[v.node*len(v.p.cells)+c]
}

// sites are the report's per-site breakdown: the site nodes under its
// place with its model and year, each a view of its own.
func (v view) sites() []view {
	if v.node < 0 {
		return nil
	}
	var out []view
	for i, id := range v.p.siteIDs {
		if pl := v.p.sitePlaces[i]; !slices.Contains(pl[:], v.key.place) {
			continue
		}
		k := nodeKey{"x:" + id, v.key.model, v.key.year}
		if n, ok := v.p.nodeAt[k]; ok {
			out = append(out, view{p: v.p, node: n, key: k})
		}
	}
	return out
}

func (v view) site() siteInfo { return v.p.sites[strings.TrimPrefix(v.key.place, "x:")] }

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
		scan := func(q string, dest []any, each func()) error {
			rows, err := db.Raw(q).Rows()
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := rows.Scan(dest...); err != nil {
					return err
				}
				each()
			}
			return rows.Err()
		}
		var b pubBase
		var tp, code, answer string
		var n, present int64
		if err := scan("SELECT site_id, model, year, timepoint, indicator_code, n, present FROM rollup_pom", []any{&b.site, &b.model, &b.year, &tp, &code, &n, &present}, func() {
			ix, ok := pomCells[[2]string{tp, code}]
			if !ok {
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
		if err := scan("SELECT site_id, model, year, statement_code, answer, n FROM rollup_survey", []any{&b.site, &b.model, &b.year, &code, &answer, &n}, func() {
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
		dest := []any{&b.site, &b.model, &b.year}
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
	p.assemble(&cells)
	return p, nil
}

// rawCells are the counts by base as read, with the cells in the order
// they were first seen.
type rawCells struct {
	names []string
	index map[string]int
	raw   map[pubBase][]int64
}

// cell is the index of a cell name, a new one if need be.
func (r *rawCells) cell(name string) int {
	if r.index == nil {
		r.index, r.raw = map[string]int{}, map[pubBase][]int64{}
	}
	i, ok := r.index[name]
	if !ok {
		i = len(r.names)
		r.index[name] = i
		r.names = append(r.names, name)
	}
	return i
}

// at is a base's counts, as long as the cells seen so far.
func (r *rawCells) at(b pubBase) []int64 {
	v := r.raw[b]
	if len(v) < len(r.names) {
		v = append(v, make([]int64, len(r.names)-len(v))...)
		r.raw[b] = v
	}
	return v
}

// pubBase is what the rollups count by: a site, a program model and an
// enrollment year.
type pubBase struct {
	site, model string
	year        int
}

// assemble adds the counts by base up into every node and decides their
// suppression.
func (p *publication) assemble(r *rawCells) {
	p.siteIDs = sortedKeys(p.sites)
	p.sitePlaces = make([][6]string, len(p.siteIDs))
	for i, id := range p.siteIDs {
		p.sitePlaces[i] = placesOf(p.sites[id])
	}
	p.cellAt = map[string]int{}
	names := map[string]bool{}
	for _, k := range r.names {
		names[k] = true
	}
	for _, k := range totalKeys {
		names[k] = true
	}
	p.cells = sortedKeys(names)
	for i, c := range p.cells {
		p.cellAt[c] = i
	}
	perm := make([]int, len(r.names)) // read order -> p.cells order
	for i, k := range r.names {
		perm[i] = p.cellAt[k]
	}
	// Every base (site, model, year) adds up into each of its 24 nodes:
	// first the nodes, in order, then their counts in one array.
	type baseOf struct {
		b  pubBase
		si siteInfo
	}
	var bases []baseOf
	keys := map[nodeKey]bool{}
	for b := range r.raw {
		si, ok := p.sites[b.site]
		if !ok {
			continue // rollups of no known site belong to no place
		}
		bases = append(bases, baseOf{b, si})
		for _, pl := range placesOf(si) {
			for _, mo := range []string{b.model, modelAll} {
				for _, y := range []int{b.year, 0} {
					keys[nodeKey{pl, mo, y}] = true
				}
			}
		}
	}
	p.keys = make([]nodeKey, 0, len(keys))
	for k := range keys {
		p.keys = append(p.keys, k)
	}
	sort.Slice(p.keys, func(i, j int) bool {
		a, b := p.keys[i], p.keys[j]
		if a.place != b.place {
			return a.place < b.place
		}
		if a.model != b.model {
			return a.model < b.model
		}
		return a.year < b.year
	})
	p.nodeAt = make(map[nodeKey]int, len(p.keys))
	for i, k := range p.keys {
		p.nodeAt[k] = i
	}
	nc := len(p.cells)
	p.vals = make([]int64, len(p.keys)*nc)
	type entry struct {
		cell int
		v    int64
	}
	var vec []entry
	for _, x := range bases {
		vec = vec[:0]
		for i, v := range r.raw[x.b] {
			if v != 0 {
				vec = append(vec, entry{perm[i], v})
			}
		}
		for _, pl := range placesOf(x.si) {
			for _, mo := range []string{x.b.model, modelAll} {
				for _, y := range []int{x.b.year, 0} {
					acc := p.vals[p.nodeAt[nodeKey{pl, mo, y}]*nc:]
					for _, e := range vec {
						acc[e.cell] += e.v
					}
				}
			}
		}
	}
	p.hidden = make([]bool, len(p.vals))
	p.suppress()
}

// snapshot runs fn on one consistent view of the database: a read-only
// repeatable-read transaction on PostgreSQL, so a projection committing
// meanwhile cannot make the figures and their suppression disagree.
// SQLite (one embedded hub) reads without a transaction, which there
// would take the write lock.
func (s *Store) snapshot(ctx context.Context, fn func(db *gorm.DB) error) error {
	if s.dialect != dbx.Postgres {
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
	c := s.pubs
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
		} else if p.uncertified > 0 {
			s.Log.Error("outcomes publication: small cells without a certificate", "cells", p.uncertified)
		} else {
			s.Log.Debug("outcomes published", "nodes", len(p.keys), "cells", len(p.vals), "primary", p.primary, "complements", p.complements, "took", p.took)
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
	return s.publish(ctx, min, s.pubs.wait)
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

// publish is published waiting at most wait for a new build (wait < 0: as
// long as it takes). A build failure keeps the publication before, if
// any (the build logs it).
func (s *Store) publish(ctx context.Context, min int64, wait time.Duration) (*publication, error) {
	v, err := s.rollupVersion(ctx)
	if err != nil {
		return nil, err
	}
	asked := time.Now()
	s.pubs.mu.Lock()
	p := s.pubs.cur[min]
	s.pubs.mu.Unlock()
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
