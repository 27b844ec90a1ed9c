package intake_test

import "github.com/itsmylife/iml/hub/internal/storetest"

var (
	open         = storetest.Open
	enrolledSite = storetest.EnrolledSite
	interview    = storetest.Interview
)
