package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// m0002Outcomes adds the projections of every outcome record type and the
// rollups the reports read. The rollup tables hold counts per site (and,
// for the largest ones, a copy summed over all sites), kept current by the
// projector.
func m0002Outcomes() *gormigrate.Migration {
	type outcomeParticipant struct {
		RecordID       string `gorm:"primaryKey;size:36"`
		SiteID         string `gorm:"size:36;not null;index:idx_outcome_participants_key,priority:1"`
		ParticipantKey string `gorm:"size:36;not null;index:idx_outcome_participants_key,priority:2"`
		EnrollmentYear int    `gorm:"not null"`
		AgeBand        string `gorm:"size:10;not null"`
		Model          string `gorm:"size:30;not null"`
	}
	type outcomeSurvey struct {
		RecordID  string `gorm:"primaryKey;size:36"`
		SiteID    string `gorm:"size:36;not null;index"`
		Year      int    `gorm:"not null"`
		Timepoint string `gorm:"size:20;not null"`
		Model     string `gorm:"size:30;not null"`
		Release   string `gorm:"size:40;not null"`
	}
	type outcomeSurveyAnswer struct {
		RecordID      string `gorm:"primaryKey;size:36"`
		StatementCode string `gorm:"primaryKey;size:40"`
		Answer        string `gorm:"size:30;not null"`
	}
	type outcomeHospitalization struct {
		RecordID       string `gorm:"primaryKey;size:36"`
		SiteID         string `gorm:"size:36;not null;index"`
		ParticipantKey string `gorm:"size:36;not null"`
		EnrollmentYear int    `gorm:"not null"`
		AgeBand        string `gorm:"size:10;not null"`
		Model          string `gorm:"size:30;not null"`
		BeforeCount    int    `gorm:"not null"`
		DuringCount    int    `gorm:"not null"`
		MonthsEnrolled int    `gorm:"not null"`
	}
	type outcomeParticipation struct {
		RecordID          string `gorm:"primaryKey;size:36"`
		SiteID            string `gorm:"size:36;not null;index"`
		ParticipantKey    string `gorm:"size:36;not null"`
		EnrollmentYear    int    `gorm:"not null"`
		AgeBand           string `gorm:"size:10;not null"`
		Model             string `gorm:"size:30;not null"`
		CohortKey         string `gorm:"size:36;not null"`
		ProgramMonth      int    `gorm:"not null"`
		MeetingsHeld      int    `gorm:"not null"`
		MeetingsAttended  int    `gorm:"not null"`
		JournalsDue       int    `gorm:"not null"`
		JournalsCompleted int    `gorm:"not null"`
		StipendSpentCents int64  `gorm:"not null"`
		ReceiptsComplete  bool   `gorm:"not null"`
		Outings1          int    `gorm:"not null"`
		Outings2          int    `gorm:"not null"`
		Outings3          int    `gorm:"not null"`
		Outings4          int    `gorm:"not null"`
	}
	type outcomeCohortMonth struct {
		RecordID        string `gorm:"primaryKey;size:36"`
		SiteID          string `gorm:"size:36;not null;index"`
		CohortKey       string `gorm:"size:36;not null"`
		Model           string `gorm:"size:30;not null"`
		StartYear       int    `gorm:"not null"`
		ProgramMonth    int    `gorm:"not null"`
		Members         int    `gorm:"not null"`
		Pairs           int    `gorm:"not null"`
		PairingChanges  int    `gorm:"not null"`
		MeetingsHeld    int    `gorm:"not null"`
		MeetingsOnTheme int    `gorm:"not null"`
	}
	type rollupPOM struct {
		SiteID        string `gorm:"primaryKey;size:36"`
		Year          int    `gorm:"primaryKey"`
		Model         string `gorm:"primaryKey;size:30"`
		Timepoint     string `gorm:"primaryKey;size:20"`
		IndicatorCode string `gorm:"primaryKey;size:40"`
		N             int64  `gorm:"not null"`
		Present       int64  `gorm:"not null"`
	}
	type rollupPOMAll struct {
		Year          int    `gorm:"primaryKey"`
		Model         string `gorm:"primaryKey;size:30"`
		Timepoint     string `gorm:"primaryKey;size:20"`
		IndicatorCode string `gorm:"primaryKey;size:40"`
		N             int64  `gorm:"not null"`
		Present       int64  `gorm:"not null"`
	}
	type rollupSurvey struct {
		SiteID        string `gorm:"primaryKey;size:36"`
		Year          int    `gorm:"primaryKey"`
		Model         string `gorm:"primaryKey;size:30"`
		StatementCode string `gorm:"primaryKey;size:40"`
		Answer        string `gorm:"primaryKey;size:30"`
		N             int64  `gorm:"not null"`
	}
	type rollupSurveyAll struct {
		Year          int    `gorm:"primaryKey"`
		Model         string `gorm:"primaryKey;size:30"`
		StatementCode string `gorm:"primaryKey;size:40"`
		Answer        string `gorm:"primaryKey;size:30"`
		N             int64  `gorm:"not null"`
	}
	type rollupPeople struct {
		SiteID            string `gorm:"primaryKey;size:36"`
		Year              int    `gorm:"primaryKey"`
		Model             string `gorm:"primaryKey;size:30"`
		Participants      int64  `gorm:"not null"`
		FirstInterviews   int64  `gorm:"not null"`
		MidInterviews     int64  `gorm:"not null"`
		ClosingInterviews int64  `gorm:"not null"`
		Surveys           int64  `gorm:"not null"`
		HospParticipants  int64  `gorm:"not null"`
		HospBefore        int64  `gorm:"not null"`
		HospDuring        int64  `gorm:"not null"`
		HospMonths        int64  `gorm:"not null"`
		PartParticipants  int64  `gorm:"not null"`
		PartMonths        int64  `gorm:"not null"`
		MeetingsHeld      int64  `gorm:"not null"`
		MeetingsAttended  int64  `gorm:"not null"`
		JournalsDue       int64  `gorm:"not null"`
		JournalsCompleted int64  `gorm:"not null"`
		SpendMonths       int64  `gorm:"not null"`
		ReceiptsOK        int64  `gorm:"not null"`
		Outings1          int64  `gorm:"not null"`
		Outings2          int64  `gorm:"not null"`
		Outings3          int64  `gorm:"not null"`
		Outings4          int64  `gorm:"not null"`
	}
	type rollupCohort struct {
		SiteID          string `gorm:"primaryKey;size:36"`
		Year            int    `gorm:"primaryKey"`
		Model           string `gorm:"primaryKey;size:30"`
		Members         int    `gorm:"primaryKey"`
		Months          int64  `gorm:"not null"`
		MeetingsHeld    int64  `gorm:"not null"`
		MeetingsOnTheme int64  `gorm:"not null"`
	}
	tables := []struct {
		name  string
		model any
	}{
		{"outcome_participants", &outcomeParticipant{}}, {"outcome_surveys", &outcomeSurvey{}},
		{"outcome_survey_answers", &outcomeSurveyAnswer{}}, {"outcome_hospitalizations", &outcomeHospitalization{}},
		{"outcome_participation", &outcomeParticipation{}}, {"outcome_cohort_months", &outcomeCohortMonth{}},
		{"rollup_pom", &rollupPOM{}}, {"rollup_pom_all", &rollupPOMAll{}},
		{"rollup_survey", &rollupSurvey{}}, {"rollup_survey_all", &rollupSurveyAll{}},
		{"rollup_people", &rollupPeople{}}, {"rollup_cohorts", &rollupCohort{}},
	}
	return &gormigrate.Migration{
		ID: "0002_outcomes",
		Migrate: func(tx *gorm.DB) error {
			// The POM interview's own model ("" when the agent sent none;
			// the report then takes the participant record's).
			if err := tx.Exec("ALTER TABLE pom_interviews ADD COLUMN model VARCHAR(30) NOT NULL DEFAULT ''").Error; err != nil {
				return err
			}
			for _, t := range tables {
				if err := tx.Table(t.name).Migrator().CreateTable(t.model); err != nil {
					return err
				}
			}
			// The version of the reporting data, changed by every
			// projection: cached suppression decisions name it.
			if err := tx.Exec("INSERT INTO hub_meta (key, value) VALUES ('rollup_version', '0')").Error; err != nil {
				return err
			}
			// Records stored before this migration are projected again, so
			// their outcomes reach the new tables and rollups.
			return tx.Exec("UPDATE records SET projected = false").Error
		},
		Rollback: func(tx *gorm.DB) error {
			if err := tx.Exec("DELETE FROM hub_meta WHERE key = 'rollup_version'").Error; err != nil {
				return err
			}
			for i := len(tables) - 1; i >= 0; i-- {
				if err := tx.Migrator().DropTable(tables[i].name); err != nil {
					return err
				}
			}
			return tx.Exec("ALTER TABLE pom_interviews DROP COLUMN model").Error
		},
	}
}
