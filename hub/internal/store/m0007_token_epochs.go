package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0007TokenEpochs gives every site a token epoch and every enrollment
// token the epoch it was issued in. Issuing a token, revoking a site and
// reinstating it move the site's epoch on, so a token of an earlier epoch
// no longer enrolls. Of the unused tokens a site holds today only the
// newest is kept: issuing a token was always meant to replace the one
// before, and a reinstated site's older tokens would otherwise still work.
func m0007TokenEpochs() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0007_token_epochs",
		Migrate: func(tx *gorm.DB) error {
			if err := execSQL(tx, "0007_token_epochs"); err != nil {
				return err
			}
			return tx.Exec(`DELETE FROM enrollment_tokens WHERE used_at IS NULL AND EXISTS (
  SELECT 1 FROM enrollment_tokens n WHERE n.site_id = enrollment_tokens.site_id AND n.used_at IS NULL
    AND (n.created_at > enrollment_tokens.created_at OR (n.created_at = enrollment_tokens.created_at AND n.hash > enrollment_tokens.hash)))`).Error
		},
		Rollback: func(tx *gorm.DB) error {
			if err := dropColumn(tx, "enrollment_tokens", "epoch"); err != nil {
				return err
			}
			return dropColumn(tx, "sites", "token_epoch")
		},
	}
}
