package affiliates_test

import "github.com/itsmylife/iml/hub/internal/storetest"

var (
	day       = storetest.Day
	wantField = storetest.WantField
	stageOf   = storetest.StageOf
)
