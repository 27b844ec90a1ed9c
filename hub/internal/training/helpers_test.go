package training_test

import "github.com/itsmylife/iml/hub/internal/storetest"

var (
	wantField = storetest.WantField
)
