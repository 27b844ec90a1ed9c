package dbx

import (
	"context"
	"errors"
	"strings"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"
)

// A write barrier: a request whose form was found wanting before its
// handler ran (a character no one types, cleaned out for the form to be
// shown again) still runs its handler, so that the form comes back as
// that handler shows it, with every mistake next to its field; but under
// BarWrites, every statement that would change the database through a
// handle Open made fails with the barrier's error, before it is sent. The
// handler's first write fails, its transaction is rolled back, and the
// error, a field mistake, takes the handler's ordinary way back to the
// form. Reads go through.

type barKey struct{}

// BarWrites returns ctx under which no statement may change the database:
// each fails with err.
func BarWrites(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, barKey{}, err)
}

// AllowWrites returns ctx without a barrier: for what is written of an
// attempt whatever becomes of it (its line in an audit log).
func AllowWrites(ctx context.Context) context.Context {
	if Barred(ctx) == nil {
		return ctx
	}
	return context.WithValue(ctx, barKey{}, error(nil))
}

// Barred is the error BarWrites gave ctx, or nil.
func Barred(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	err, _ := ctx.Value(barKey{}).(error)
	return err
}

// barWrites registers the barrier on db's statements: creates, updates,
// deletes and raw statements always write; a query or row read only when
// its raw SQL (a builder's query has none yet) is not a SELECT or WITH.
func barWrites(db *gorm.DB) error {
	cb := db.Callback()
	return errors.Join(cb.Create().Before("*").Register("dbx:bar_writes", refuseBarred),
		cb.Update().Before("*").Register("dbx:bar_writes", refuseBarred),
		cb.Delete().Before("*").Register("dbx:bar_writes", refuseBarred),
		cb.Raw().Before("*").Register("dbx:bar_writes", refuseBarred),
		cb.Query().Before("*").Register("dbx:bar_writes", refuseBarredSQL),
		cb.Row().Before("*").Register("dbx:bar_writes", refuseBarredSQL))
}

func refuseBarred(db *gorm.DB) {
	if err := Barred(db.Statement.Context); err != nil {
		_ = db.AddError(err)
	}
}

func refuseBarredSQL(db *gorm.DB) {
	if db.Statement.SQL.Len() == 0 {
		return
	}
	q := strings.TrimSpace(db.Statement.SQL.String())
	if len(q) >= 6 && strings.EqualFold(q[:6], "SELECT") || len(q) >= 4 && strings.EqualFold(q[:4], "WITH") {
		return
	}
	refuseBarred(db)
}

// ctxBar is where a request (a gin context) keeps the error its action's
// writes are barred with.
const ctxBar = "iml.dbx.bar"

// BarRequest marks a request: its action, run after BarMarked, may change
// nothing, each write failing with err.
func BarRequest(c *gin.Context, err error) { c.Set(ctxBar, err) }

// RequestBar is the error BarRequest marked the request with, or nil.
func RequestBar(c *gin.Context) error {
	if c == nil {
		return nil
	}
	v, _ := c.Get(ctxBar)
	err, _ := v.(error)
	return err
}

// BarMarked runs the rest of a request's chain (its action) with writes
// barred (BarWrites) when BarRequest marked it. It stands after the
// route's access checks, whose own writes (a view's audit) are not the
// action's.
func BarMarked(c *gin.Context) {
	err := RequestBar(c)
	if err == nil {
		c.Next()
		return
	}
	ctx := c.Request.Context()
	c.Request = c.Request.WithContext(BarWrites(ctx, err))
	c.Next()
	c.Request = c.Request.WithContext(ctx)
}
