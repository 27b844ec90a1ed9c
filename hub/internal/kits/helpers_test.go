package kits_test

import "github.com/itsmylife/iml/hub/internal/storetest"

var (
	enrolledSite = storetest.EnrolledSite
	wantField    = storetest.WantField
)
