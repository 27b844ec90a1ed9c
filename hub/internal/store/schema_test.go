package store_test

import (
	"path/filepath"
	"testing"

	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// TestSchemaIsGolden: the migrations make, on a fresh database, exactly
// the schema in testdata/schema.<database>.txt, on each database. A
// migration changed by mistake, or a new one not reviewed into the files,
// fails here; a change that is meant is written with IML_UPDATE_GOLDEN=1.
func TestSchemaIsGolden(t *testing.T) {
	for name, dsn := range map[string]func(testing.TB) string{"sqlite": func(tb testing.TB) string { return dbtest.SQLitePath(tb) }, "postgres": dbtest.PostgresDSN} {
		t.Run(name, func(t *testing.T) {
			s := storetest.Open(t, dsn(t))
			got, err := dbtest.Schema(s.DB)
			if err != nil {
				t.Fatal(err)
			}
			dbtest.Golden(t, filepath.Join("testdata", "schema."+name+".txt"), got)
		})
	}
}
