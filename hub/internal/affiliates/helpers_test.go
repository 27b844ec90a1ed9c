package affiliates_test

import "github.com/itsmylife/iml/hub/internal/storetest"

var (
	open      = storetest.Open
	day       = storetest.Day
	wantField = storetest.WantField
	stageOf   = storetest.StageOf
)
