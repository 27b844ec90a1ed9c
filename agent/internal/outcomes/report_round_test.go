package outcomes

import (
	"testing"

	"github.com/itsmylife/iml/pkg/evaluate"
)

// TestReportRoundsBothWays: the site report rounds a negative figure as it
// rounds a positive one (half away from zero), so a symmetric table has a
// symmetric interval and a loss of a third reads -33.3.
func TestReportRoundsBothWays(t *testing.T) {
	v := changeView(evaluate.PairedFromCounts(1, 1, 1, 1))
	lo, hi := *(v["ci_lower_points"].(*float64)), *(v["ci_upper_points"].(*float64))
	if lo != -hi || hi <= 0 {
		t.Fatalf("symmetric table: interval %v to %v", lo, hi)
	}
	v = changeView(evaluate.PairedFromCounts(0, 0, 2, 4))
	if got := *(v["change_points"].(*float64)); got != -33.3 {
		t.Fatalf("two of six lost: change %v, want -33.3", got)
	}
	v = changeView(evaluate.PairedFromCounts(0, 0, 1, 0))
	if got := *(v["change_points"].(*float64)); got != -100 {
		t.Fatalf("one of one lost: change %v, want -100", got)
	}
}
