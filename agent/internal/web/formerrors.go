package web

import "github.com/itsmylife/iml/pkg/webui"

// The one way the agent's forms show their mistakes is the hub's too
// (pkg/webui/forms.go): a summary at the form's top ("errsummary"), the
// message next to each field ("ferr", func invalid).
var (
	// FieldErrors maps an error's field mistakes to messages per field.
	FieldErrors = webui.FieldErrors
	// Sentence writes a field's message as a sentence.
	Sentence = webui.Sentence
	// Capitalize upper-cases the first letter of a text.
	Capitalize = webui.Capitalize
	// RepeatedFields are the fields of a posted form sent more than once.
	RepeatedFields = webui.RepeatedFields
)
