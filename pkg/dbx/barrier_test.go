package dbx_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/dbx"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

type barred struct {
	ID   int64 `gorm:"primaryKey"`
	Name string
}

// Under BarWrites every way a statement can change the database fails
// with the barrier's error and changes nothing; reads, and every statement
// outside the barrier, go through. On both databases.
func TestBarWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		db, err := dbx.Open(dsn, slog.Default())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = dbx.Close(db) })
		if err := db.AutoMigrate(&barred{}); err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&barred{Name: "kept"}).Error; err != nil {
			t.Fatal(err)
		}
		why := errors.New("the form holds a control character")
		ctx := dbx.BarWrites(context.Background(), why)
		b := db.WithContext(ctx)
		writes := map[string]func() error{
			"create": func() error { return b.Create(&barred{Name: "new"}).Error },
			"save":   func() error { return b.Save(&barred{ID: 1, Name: "changed"}).Error },
			"update": func() error { return b.Model(&barred{}).Where("id = 1").Update("name", "changed").Error },
			"delete": func() error { return b.Delete(&barred{}, 1).Error },
			"exec":   func() error { return b.Exec("UPDATE barreds SET name = 'changed'").Error },
			"raw returning": func() error {
				var id int64
				return b.Raw("INSERT INTO barreds (name) VALUES ('new') RETURNING id").Scan(&id).Error
			},
			"in a transaction": func() error {
				return b.Transaction(func(tx *gorm.DB) error {
					var n int64
					if err := tx.Model(&barred{}).Count(&n).Error; err != nil {
						return err
					}
					return tx.Create(&barred{Name: "new"}).Error
				})
			},
		}
		for name, write := range writes {
			if err := write(); !errors.Is(err, why) {
				t.Errorf("%s under the barrier: %v", name, err)
			}
		}
		var rows []barred
		if err := b.Order("id").Find(&rows).Error; err != nil || len(rows) != 1 || rows[0].Name != "kept" {
			t.Fatalf("after the barred writes, or reading under the barrier: %v %+v", err, rows)
		}
		var n int64
		if err := b.Raw("SELECT count(*) FROM barreds").Scan(&n).Error; err != nil || n != 1 {
			t.Fatalf("a raw read under the barrier: %v %d", err, n)
		}
		if err := db.WithContext(context.Background()).Create(&barred{Name: "free"}).Error; err != nil {
			t.Fatalf("a write outside the barrier: %v", err)
		}
		if err := db.WithContext(dbx.AllowWrites(ctx)).Create(&barred{Name: "audited"}).Error; err != nil {
			t.Fatalf("a write let through the barrier: %v", err)
		}
	})
}
