package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

const goodCSV = "\ufefffirst_name,last_name,birth_date,enrolled_on,agreement_signed_on,informed_consent,manages_finances,sets_goals,accepts_responsibilities,email\n" +
	"Avery,Stone,1980-02-03,2025-09-01,2025-09-01,yes,yes,yes,yes,avery@example.org\n" +
	"\"Jordan, Jr.\",Lake,1975-11-20,2025-10-15,2025-10-15,Y,1,true,x,\n" +
	",,,,,,,,,\n"

func countParticipants(t *testing.T, st *Store) int64 {
	var n int64
	st.DB.Model(&Participant{}).Count(&n)
	return n
}

func TestImportParticipants(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	res, err := st.Participants.ImportParticipants(ctx, strings.NewReader(goodCSV), true, nil)
	if err != nil || res.Rows != 2 || res.Imported != 0 || countParticipants(t, st) != 0 {
		t.Fatalf("dry run: %+v %v, %d stored", res, err, countParticipants(t, st))
	}
	var calls int
	res, err = st.Participants.ImportParticipants(ctx, strings.NewReader(goodCSV), false, func(done, total int) { calls++ })
	if err != nil || res.Imported != 2 || countParticipants(t, st) != 2 || calls == 0 {
		t.Fatalf("import: %+v %v", res, err)
	}
	var p Participant
	st.DB.First(&p, "last_name = ?", "Lake")
	if p.FirstName != "Jordan, Jr." || !p.InformedConsent || !p.AcceptsResponsibilities {
		t.Fatalf("imported %+v", p)
	}
	if pending(t, st) != 2 {
		t.Fatal("imported participants were not queued for the hub")
	}
	// Importing the same file again is refused row by row: nothing doubles.
	res, err = st.Participants.ImportParticipants(ctx, strings.NewReader(goodCSV), false, nil)
	if !errors.Is(err, ErrImportRefused) || len(res.Errors) != 2 || countParticipants(t, st) != 2 {
		t.Fatalf("re-import: %+v %v", res, err)
	}
}

func TestImportRefusesTheWholeFileForOneBadRow(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	bad := goodCSV + "Sam,Reed,2010-01-01,2025-09-01,2025-09-01,yes,maybe,yes,yes,not-an-email\n"
	res, err := st.Participants.ImportParticipants(ctx, strings.NewReader(bad), false, nil)
	if !errors.Is(err, ErrImportRefused) || countParticipants(t, st) != 0 {
		t.Fatalf("bad file: %v, %d stored", err, countParticipants(t, st))
	}
	fields := map[string]bool{}
	for _, e := range res.Errors {
		if e.Row != 5 {
			t.Errorf("error on row %d, want 5: %+v", e.Row, e)
		}
		fields[e.Field] = true
	}
	for _, f := range []string{"manages_finances", "email", "age_override_reason"} {
		if !fields[f] {
			t.Errorf("no error for %s: %+v", f, res.Errors)
		}
	}
	for name, csv := range map[string]string{
		"unknown column":  "first_name,last_name,shoe_size\n",
		"missing columns": "first_name,last_name\nA,B\n",
		"empty file":      "",
		"broken quoting":  goodCSV[:strings.Index(goodCSV, "\n")+1] + "\"Avery,Stone\n",
	} {
		res, err := st.Participants.ImportParticipants(ctx, strings.NewReader(csv), false, nil)
		if !errors.Is(err, ErrImportRefused) || len(res.Errors) == 0 {
			t.Errorf("%s: %+v %v", name, res, err)
		}
	}
}

func TestImportCoaches(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	res, err := st.Participants.ImportCoaches(ctx, strings.NewReader("name,email,bio\nCasey,casey@example.org,Hikes\nRobin,,\n"), false)
	if err != nil || res.Imported != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	res, err = st.Participants.ImportCoaches(ctx, strings.NewReader("name,email\nX,bad\n"), false)
	cs, _ := st.Coaches.Coaches(ctx)
	if !errors.Is(err, ErrImportRefused) || len(cs) != 2 || res.Errors[0].Field != "email" {
		t.Fatalf("bad coach file: %+v %v", res, err)
	}
}

// TestSameFileImportedTwiceAtOnce: two imports of one file at the same time
// add its people once: the check that they are not at the site yet is
// made again in the import's write transaction, so the later one is
// refused whole, saying who is already there.
func TestSameFileImportedTwiceAtOnce(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	type outcome struct {
		res ImportResult
		err error
	}
	out := make(chan outcome, 2)
	start := make(chan struct{})
	for range 2 {
		go func() {
			<-start
			res, err := st.Participants.ImportParticipants(ctx, strings.NewReader(goodCSV), false, nil)
			out <- outcome{res, err}
		}()
	}
	close(start)
	imported, refused := 0, 0
	for range 2 {
		o := <-out
		switch {
		case o.err == nil && o.res.Imported == 2:
			imported++
		case errors.Is(o.err, ErrImportRefused) && len(o.res.Errors) > 0 && strings.Contains(o.res.Errors[0].Detail, "already at the site"):
			refused++
		default:
			t.Errorf("an import: %+v %v", o.res, o.err)
		}
	}
	if imported != 1 || refused != 1 || countParticipants(t, st) != 2 {
		t.Fatalf("%d imported, %d refused, %d participants; want 1, 1 and 2", imported, refused, countParticipants(t, st))
	}
}
