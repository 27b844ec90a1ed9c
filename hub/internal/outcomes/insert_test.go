package outcomes_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/itsmylife/iml/hub/internal/outcomes"
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
