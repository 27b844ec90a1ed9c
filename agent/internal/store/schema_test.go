package store

import (
	"path/filepath"
	"testing"

	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// TestSchemaIsGolden: the migrations make, on a fresh database, exactly
// the schema in testdata/schema.sqlite.txt. A migration changed by
// mistake, or a new one not reviewed into the file, fails here; a change
// that is meant is written with IML_UPDATE_GOLDEN=1.
func TestSchemaIsGolden(t *testing.T) {
	st := openTestK(t, 0)
	got, err := dbtest.Schema(st.DB)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Golden(t, filepath.Join("testdata", "schema.sqlite.txt"), got)
}
