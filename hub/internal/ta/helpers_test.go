package ta_test

import "github.com/itsmylife/iml/hub/internal/storetest"

var (
	open         = storetest.Open
	enrolledSite = storetest.EnrolledSite
	wantField    = storetest.WantField
)
