package store

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/itsmylife/iml/pkg/textx"
)

// FuzzImportParticipants feeds arbitrary files to the participant import
// (a dry run, then for real when the dry run accepts): it never panics,
// refuses or imports whole, and whatever it imports is clean text and
// passes the intake rules again.
func FuzzImportParticipants(f *testing.F) {
	head := "first_name,last_name,birth_date,enrolled_on,agreement_signed_on,informed_consent,manages_finances,sets_goals,accepts_responsibilities\n"
	for _, s := range []string{
		head + "Ann,Lee,1980-01-01,2026-01-05,2026-01-05,yes,yes,yes,yes\n",
		head + "Ann,Lee,1980-01-01,2026-01-05,2026-01-05,yes,yes,yes,yes\nBo,Ng,1970-12-31,2025-06-01,2025-06-01,y,y,y,y\n",
		"\ufeff" + head + "\"Ann, Jr\",\"O\"\"Lee\",1980-01-01,2026-01-05,2026-01-05,1,1,1,1\n",
		head + "Ann\x07,Lee,1980-01-01,2026-01-05,2026-01-05,yes,yes,yes,yes\n",
		"first_name,first_name\nA,B\n", "", "\n\n", head + "\"unterminated\n",
		head + "Ann,Lee,99999-01-01,2026-01-05,2026-01-05,yes,yes,yes,yes\n",
	} {
		f.Add([]byte(s))
	}
	st := openTestK(f, 0)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, file []byte) {
		if len(file) > 64<<10 {
			return
		}
		var before int64
		st.DB.Model(&Participant{}).Count(&before)
		dry, err := st.Participants.ImportParticipants(ctx, bytes.NewReader(file), true, nil)
		if err != nil && !errors.Is(err, ErrImportRefused) {
			t.Fatalf("dry run: %v", err)
		}
		if err != nil {
			return
		}
		res, err := st.Participants.ImportParticipants(ctx, bytes.NewReader(file), false, nil)
		if err != nil && !errors.Is(err, ErrImportRefused) {
			t.Fatalf("import: %v", err)
		}
		var after int64
		st.DB.Model(&Participant{}).Count(&after)
		switch {
		case err != nil && after != before:
			t.Fatalf("a refused import changed the participants: %d -> %d", before, after)
		case err == nil && after != before+int64(res.Imported):
			t.Fatalf("imported %d, participants %d -> %d", res.Imported, before, after)
		case err == nil && res.Imported != dry.Rows:
			t.Fatalf("the dry run found %d rows, the import did %d", dry.Rows, res.Imported)
		}
		var ps []Participant
		st.DB.Order("created_at DESC").Limit(res.Imported).Find(&ps)
		for _, p := range ps {
			for _, v := range []string{p.FirstName, p.LastName, p.Phone, p.Email, p.Address, p.AgeOverrideReason} {
				if !textx.Clean(v) {
					t.Fatalf("imported text %q is not clean", v)
				}
			}
		}
	})
}
