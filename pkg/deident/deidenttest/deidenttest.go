// Package deidenttest holds the participants that the tests of
// de-identification at a small site enroll: the cluster's end-to-end test
// (and the agent store's test, which has its own copy of the same site).
package deidenttest

import "github.com/itsmylife/iml/pkg/contract"

// Person is a participant of SmallSite: born and enrolled on those days
// (YYYY-MM-DD), in a model ("" for none), with Before hospitalizations
// before enrollment.
type Person struct {
	Birth, Enrolled, Model string
	Before                 int
}

// SmallSite is a 17-participant site over two enrollment years, two
// models and no cohort, ages 19 to 93, with counts of hospitalizations
// before enrollment from 0 to 9.
var SmallSite = []Person{
	{"2006-03-02", "2025-02-10", contract.ModelPeerPartners, 0},
	{"1994-07-19", "2025-02-10", contract.ModelPeerPartners, 1},
	{"1987-11-30", "2025-03-03", contract.ModelPeerPartners, 0},
	{"1973-01-08", "2025-03-17", contract.ModelPeerPartners, 2},
	{"1964-05-25", "2025-04-07", contract.ModelPeerPartners, 5},
	{"1998-09-14", "2025-05-12", contract.ModelSocialExplorations, 0},
	{"1980-02-27", "2025-06-02", contract.ModelSocialExplorations, 1},
	{"1955-10-03", "2025-08-18", contract.ModelSocialExplorations, 3},
	{"1932-06-21", "2025-09-08", "", 0},
	{"1990-04-12", "2026-01-12", contract.ModelPeerPartners, 0},
	{"1985-08-08", "2026-01-26", contract.ModelPeerPartners, 2},
	{"1968-12-01", "2026-02-09", contract.ModelPeerPartners, 9},
	{"2003-06-30", "2026-02-23", contract.ModelSocialExplorations, 0},
	{"1996-03-15", "2026-03-09", contract.ModelSocialExplorations, 1},
	{"1977-10-21", "2026-03-30", contract.ModelSocialExplorations, 4},
	{"1960-01-17", "2026-04-20", contract.ModelSocialExplorations, 0},
	{"1949-07-04", "2026-05-04", contract.ModelSocialExplorations, 2},
}
