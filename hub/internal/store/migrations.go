package store

import (
	"log/slog"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// Migrations are the hub's schema changes, in order. Each one describes the
// tables as they were when it was written, so later model changes never
// rewrite history. Never edit a migration that has shipped; add one. Data
// migrations log what they changed to log.
func Migrations(log *slog.Logger) []*gormigrate.Migration {
	return []*gormigrate.Migration{m0001Init(), m0002Outcomes(), m0003StaffAccess(), m0004AffiliatesTA(), m0005KitsTraining(), m0006CleanRecords(log), m0007TokenEpochs(), m0008RecordStoredAt(), m0009ProjectorWatermark(), m0010POMPaired(), m0011CompactAnswers(), m0012HospitalCounts(), m0013ParticipationMonths(), m0014RollupFillfactor()}
}

// execSteps runs a migration's statements in order, stopping at the first
// that fails.
func execSteps(tx *gorm.DB, steps []string) error {
	for _, q := range steps {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}
