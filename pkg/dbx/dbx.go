// Package dbx opens the databases both programs use: SQLite through
// github.com/glebarez/sqlite with the pragmas that make it safe for a server
// (WAL, busy timeout, foreign keys, immediate transactions), or PostgreSQL,
// and runs numbered migrations.
package dbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// slogWriter lets gorm's logger write through slog.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Printf(format string, args ...any) {
	w.log.Warn("sql", "detail", fmt.Sprintf(format, args...))
}

// quietConstraints is gorm's logger, except that a statement a constraint
// refused (a duplicate key, a missing or referenced row, a check) is not
// logged as a warning: it is a client's mistake the caller turns into an
// answer (an e-mail already in use, say), not a fault of the program. It
// goes to the debug level, with the error and without the statement.
type quietConstraints struct {
	logger.Interface
	log *slog.Logger
}

// sqlLogger is the logger of every pool: failed and slow statements at
// Warn, without their parameters, so no value stored reaches a log.
func sqlLogger(log *slog.Logger) logger.Interface {
	// gorm's own logger only formats a statement when it logs it (slow
	// or failed); its slog adapter formats every one, which costs more
	// than the statement on a busy ingest path.
	return quietConstraints{Interface: logger.New(slogWriter{log}, logger.Config{
		SlowThreshold:             2 * time.Second,
		LogLevel:                  logger.Warn,
		IgnoreRecordNotFoundError: true,
		ParameterizedQueries:      true,
		Colorful:                  false,
	}), log: log}
}

// IsConstraint reports whether an error is a constraint refusing a
// statement (gorm translates the drivers' errors: TranslateError).
func IsConstraint(err error) bool {
	return errors.Is(err, gorm.ErrDuplicatedKey) || errors.Is(err, gorm.ErrForeignKeyViolated) || errors.Is(err, gorm.ErrCheckConstraintViolated)
}

func (q quietConstraints) LogMode(level logger.LogLevel) logger.Interface {
	return quietConstraints{Interface: q.Interface.LogMode(level), log: q.log}
}

func (q quietConstraints) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if IsConstraint(err) {
		q.log.Debug("sql constraint refused a statement", "err", err.Error())
		err = nil // still logged if slow
	}
	q.Interface.Trace(ctx, begin, fc, err)
}

// IsPostgres reports whether a DSN names PostgreSQL.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// sqlitePragmas are applied on every connection. glebarez/sqlite ignores
// mattn-style _busy_timeout etc.; only _pragma= works. _time_format must not
// be combined with _txlock (it drops _txlock).
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"

// SQLiteDSN turns a file path into a DSN with the required pragmas.
func SQLiteDSN(path string) string {
	return "file:" + path + "?" + sqlitePragmas
}

// Open opens a database: a postgres:// URL, or a SQLite file path (created
// with its directory if missing). The log level of SQL statements is Warn
// and statements are logged without their parameters, so no value stored
// ever reaches a log.
func Open(dsn string, log *slog.Logger) (*gorm.DB, error) {
	cfg := &gorm.Config{
		TranslateError: true,
		Logger:         sqlLogger(log),
		NowFunc:        func() time.Time { return time.Now().UTC() },
	}
	if IsPostgres(dsn) {
		db, err := gorm.Open(postgres.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres %s: %w", Redact(dsn), err)
		}
		keepConns(db, 20)
		return db, barWrites(db)
	}
	if dir := filepath.Dir(dsn); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// A new database file is readable by its owner only; SQLite gives its
	// -wal and -shm files the same permissions.
	if f, err := os.OpenFile(dsn, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	}
	db, err := gorm.Open(sqlite.Open(SQLiteDSN(dsn)), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	keepConns(db, 8)
	if err := CheckSQLitePragmas(db); err != nil {
		return nil, err
	}
	return db, barWrites(db)
}

// OpenSQLiteReader opens a query-only pool on an existing SQLite database
// whose transactions are deferred: in WAL mode they read a consistent
// snapshot without taking the write lock, so long reports do not hold up
// writers (the main pool's transactions are immediate).
func OpenSQLiteReader(path string, log *slog.Logger) (*gorm.DB, error) {
	cfg := &gorm.Config{TranslateError: true, Logger: sqlLogger(log), NowFunc: func() time.Time { return time.Now().UTC() }}
	db, err := gorm.Open(sqlite.Open("file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)&_txlock=deferred"), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite reader %s: %w", path, err)
	}
	keepConns(db, 4)
	return db, nil
}

// connIdleTime is how long a pool keeps a connection no one uses.
const connIdleTime = 5 * time.Minute

// keepConns bounds db's pool at n connections and keeps them all while
// they are used: a pool that keeps fewer idle than it opens closes and
// opens connections over and over under a steady load (on PostgreSQL a
// new server process each time, with its caches cold, which under load
// cost small pushes most of their time). A connection idle for
// connIdleTime is closed, so a quiet process gives the memory back.
func keepConns(db *gorm.DB, n int) {
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(n)
	sqlDB.SetConnMaxIdleTime(connIdleTime)
}

// CheckSQLitePragmas reads the pragmas back: a DSN the driver silently
// ignored would otherwise go unnoticed.
func CheckSQLitePragmas(db *gorm.DB) error {
	var mode string
	var busy, fk int
	if err := db.Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil {
		return err
	}
	if err := db.Raw("PRAGMA busy_timeout").Scan(&busy).Error; err != nil {
		return err
	}
	if err := db.Raw("PRAGMA foreign_keys").Scan(&fk).Error; err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") || busy != 10000 || fk != 1 {
		return fmt.Errorf("sqlite pragmas not applied: journal_mode=%s busy_timeout=%d foreign_keys=%d", mode, busy, fk)
	}
	return nil
}

// Dialect returns the database's dialect name.
func Dialect(db *gorm.DB) string {
	if db.Dialector.Name() == "postgres" {
		return Postgres
	}
	return SQLite
}

// Redact hides the password of a postgres URL for messages.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable database URL)"
	}
	return u.Redacted()
}

// migrationLock is the PostgreSQL advisory lock key that serializes
// migrations when several hub processes start at once.
const migrationLock = 7_412_019_001

// Migrate applies numbered migrations in order, each once. On PostgreSQL it
// holds an advisory lock meanwhile, so that replicas and commands starting
// together migrate one after the other.
func Migrate(db *gorm.DB, migrations []*gormigrate.Migration) error {
	run := func(db *gorm.DB) error {
		opts := *gormigrate.DefaultOptions
		opts.TableName = "schema_migrations"
		opts.UseTransaction = true
		if err := gormigrate.New(db, &opts, migrations).Migrate(); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		return nil
	}
	if Dialect(db) != Postgres {
		return run(db)
	}
	return db.Connection(func(conn *gorm.DB) error {
		if err := conn.Exec("SELECT pg_advisory_lock(?)", migrationLock).Error; err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.Exec("SELECT pg_advisory_unlock(?)", migrationLock)
		return run(conn)
	})
}

// Close closes the pool.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// IsUniqueViolation reports a duplicate key on either dialect.
func IsUniqueViolation(err error) bool { return errors.Is(err, gorm.ErrDuplicatedKey) }

// BackupSQLite writes a consistent copy of a SQLite database to a new file
// (VACUUM INTO, safe while the database is in use), readable by its owner
// only.
func BackupSQLite(db *gorm.DB, to string) error {
	if Dialect(db) != SQLite {
		return errors.New("not a SQLite database")
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("%s exists; choose a new file", to)
	}
	if err := db.Exec("VACUUM INTO ?", to).Error; err != nil {
		return err
	}
	return os.Chmod(to, 0o600)
}
