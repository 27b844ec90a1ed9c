// Package web is the hub's shared HTTP plumbing: what every capability's
// handlers use to read a request (JSON bodies, forms, the signed-in user),
// to draw a page and to answer an error (Respond, the one error path).
// It knows no capability; the server package assembles them.
package web

import (
	"html/template"
	"log/slog"

	"github.com/itsmylife/iml/hub/internal/store"
)

// Base is what every capability's handlers share: the database core, the
// log and the page templates.
type Base struct {
	St    *store.Store
	Log   *slog.Logger
	Pages *template.Template
}
