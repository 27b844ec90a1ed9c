package training_test

import "github.com/itsmylife/iml/hub/internal/storetest"

var (
	open      = storetest.Open
	wantField = storetest.WantField
)
