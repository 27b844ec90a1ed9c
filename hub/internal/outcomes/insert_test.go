package outcomes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/pkg/dbx"
)

// TestAnswersJSONAsTheEncoder: an answers object is written as
// encoding/json writes the same map, for plain codes and for strings the
// encoder escapes (quotes, backslashes, control and HTML characters,
// non-ASCII, invalid UTF-8), and it is valid JSON that reads back the same.
func TestAnswersJSONAsTheEncoder(t *testing.T) {
	odd := []string{"", "pom_x1", `say "hi"`, `back\slash`, "tab\there", "nul\x00", "<b>&", "é ü 中", "\xff\xfe", "\u2028"}
	rng := rand.New(rand.NewPCG(7, 11))
	for n := range 200 {
		ints, strs := map[string]int{}, map[string]string{}
		for range rng.IntN(12) {
			k := odd[rng.IntN(len(odd))] + odd[rng.IntN(len(odd))]
			ints[k] = rng.IntN(3) - 1
			strs[k] = odd[rng.IntN(len(odd))]
		}
		for _, c := range []struct {
			got  outcomes.JSONObject
			want any
		}{{outcomes.AnswersJSON(ints), ints}, {outcomes.AnswersJSON(strs), strs}} {
			want, err := json.Marshal(c.want)
			if err != nil {
				t.Fatal(err)
			}
			if string(c.got) != string(want) {
				t.Fatalf("case %d: %s, encoding/json writes %s", n, c.got, want)
			}
		}
		var back map[string]string
		if err := json.Unmarshal([]byte(outcomes.AnswersJSON(strs)), &back); err != nil || len(back) != len(strs) {
			t.Fatalf("case %d: reads back %v (%v)", n, back, err)
		}
	}
}

// TestInsertRowsKinds: InsertRows writes rows of every kind of value the
// projection and the rollups use (text, JSON objects, ints of both sizes,
// booleans), in any number (past one statement's chunk), with an ON
// CONFLICT tail that adds to rows already there, and reads back what it
// was given, on each database; rows whose values are of another kind go
// too.
func TestInsertRowsKinds(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		db := s.DB.WithContext(ctx)
		if err := db.Exec(`CREATE TABLE insert_kinds (id VARCHAR(36) PRIMARY KEY, label VARCHAR(100) NOT NULL, n BIGINT NOT NULL, ok BOOLEAN NOT NULL, answers ` +
			map[bool]string{true: "JSONB", false: "TEXT"}[dbx.Dialect(db) == dbx.Postgres] + ` NOT NULL)`).Error; err != nil {
			t.Fatal(err)
		}
		const cols = "id, label, n, ok, answers"
		odd := []string{"plain", `quote " and \ back`, "é ü 中", "tab\there", "line\nbreak", ""}
		var rows [][]any
		for i := range 20_500 {
			var n any = i
			if i%2 == 1 {
				n = int64(-i)
			}
			rows = append(rows, []any{fmt.Sprintf("r%05d", i), odd[i%len(odd)], n, i%3 == 0, outcomes.AnswersJSON(map[string]int{"pom_" + odd[i%len(odd)]: i % 2})})
		}
		if err := db.Transaction(func(tx *gorm.DB) error {
			return outcomes.InsertRows(tx, "insert_kinds", cols, rows, "")
		}); err != nil {
			t.Fatal(err)
		}
		// Added to on conflict, with a value of a kind the arrays do not
		// carry (a float) in the last row.
		// And once with such a value in the first row, past a column of a
		// kind the arrays carry.
		for _, more := range [][][]any{
			{{"r00001", "x", int64(10), true, outcomes.JSONObject(`{}`)}, {"r00002", "x", 2.0, false, outcomes.JSONObject(`{}`)}},
			{{"r00003", "x", 3.0, false, outcomes.JSONObject(`{}`)}},
		} {
			if err := db.Transaction(func(tx *gorm.DB) error {
				return outcomes.InsertRows(tx, "insert_kinds", cols, more, " ON CONFLICT (id) DO UPDATE SET n = insert_kinds.n + excluded.n")
			}); err != nil {
				t.Fatal(err)
			}
		}
		var got []struct {
			ID, Label, Answers string
			N                  int64
			OK                 bool
		}
		if err := db.Raw("SELECT id, label, n, ok, answers FROM insert_kinds ORDER BY id").Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rows) {
			t.Fatalf("%d rows, want %d", len(got), len(rows))
		}
		for i, g := range got {
			want := int64(i)
			if i%2 == 1 {
				want = int64(-i)
			}
			switch i {
			case 1:
				want += 10
			case 2:
				want += 2
			case 3:
				want += 3
			}
			var ans map[string]int
			if err := json.Unmarshal([]byte(g.Answers), &ans); err != nil || ans["pom_"+odd[i%len(odd)]] != i%2 || len(ans) != 1 {
				t.Fatalf("row %d answers %q (%v)", i, g.Answers, err)
			}
			if g.ID != fmt.Sprintf("r%05d", i) || g.Label != odd[i%len(odd)] || g.N != want || g.OK != (i%3 == 0) {
				t.Fatalf("row %d reads back %+v", i, g)
			}
		}
	})
}
