package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// CleanRecords checks every record the hub holds against the contract's
// rules as they are now: the payload must read strictly, validate, be its
// own canonical encoding, match its hash and name only codes of a release
// this hub published. A hub that took records under looser rules (a key
// sent twice, free text in a code) held bytes its checks never saw; each
// record that fails is turned into a tombstone of the same version, its
// bytes gone, and projected again so its rows leave the reports. An agent
// that holds the record in good form gets a conflict on its next push of
// it and sends it again as a newer version. It returns how many records it
// turned. It runs in tx (a migration runs it at upgrade).
func CleanRecords(tx *gorm.DB, log *slog.Logger) (int, error) {
	releases := map[string]*contract.ReleaseCodes{}
	var rels []Release
	if err := tx.Find(&rels).Error; err != nil {
		return 0, err
	}
	for _, r := range rels {
		var content program.Release
		if err := json.Unmarshal([]byte(r.Content), &content); err != nil {
			return 0, fmt.Errorf("release %s: %w", r.Version, err)
		}
		c := content.Codes()
		releases[r.Version] = &c
	}
	lookup := func(v string) (contract.ReleaseCodes, bool) {
		if c := releases[v]; c != nil {
			return *c, true
		}
		return contract.ReleaseCodes{}, false
	}
	// The record goes back to the projector: flagged on a hub from before
	// the watermark (this runs in migration 0006), given a new ingest mark
	// after it.
	requeue := func() (map[string]any, error) { return map[string]any{"projected": false}, nil }
	if tx.Migrator().HasColumn("records", "xact") {
		requeue = func() (map[string]any, error) {
			expr, args, err := IngestMark(tx)
			if err != nil {
				return nil, err
			}
			return map[string]any{"xact": gorm.Expr(expr, args...)}, nil
		}
	}
	cleaned, after := 0, ""
	for {
		var page []Record
		if err := tx.Where("id > ? AND deleted = ?", after, false).Order("id").Limit(2000).Find(&page).Error; err != nil {
			return cleaned, err
		}
		if len(page) == 0 {
			return cleaned, nil
		}
		after = page[len(page)-1].ID
		for _, r := range page {
			why := recordFault(r, lookup)
			if why == nil {
				continue
			}
			log.Warn("a record held under looser rules is removed", "record", r.ID, "site", r.SiteID, "type", r.Type, "reason", faultKind(why))
			set, err := requeue()
			if err != nil {
				return cleaned, err
			}
			set["deleted"], set["data"], set["hash"] = true, "", contract.HashRecord(r.Type, true, nil)
			err = tx.Model(&Record{}).Where("id = ? AND version = ?", r.ID, r.Version).Updates(set).Error
			if err != nil {
				return cleaned, err
			}
			cleaned++
		}
	}
}

// recordFault says why a stored record breaks the contract's rules, or nil.
func recordFault(r Record, release func(string) (contract.ReleaseCodes, bool)) error {
	rec := contract.Record{ID: r.ID, Type: r.Type, Version: r.Version, Hash: r.Hash, Data: contract.RawJSON(r.Data)}
	p, err := contract.CheckRecord(rec)
	if err != nil {
		return err
	}
	return contract.CheckCodes(p.Codes(), release)
}

// faultKind names a fault for the log without repeating what the record
// held: the message of a payload error may quote a value.
func faultKind(err error) string {
	var ce *contract.CodeError
	switch {
	case errors.As(err, &ce):
		return ce.Error()
	case errors.Is(err, contract.ErrNotCanonical):
		return "not in canonical form"
	}
	return "does not validate"
}

// AuditRepeat is the target of an audit line of a form sent again after
// it was carried out (webui.Repeated): nothing was done for it.
const AuditRepeat = "repeat=yes"

// AuditTarget is what the audit log keeps of a path parameter: the value
// when it has the shape of what that parameter names (a UUID or a number
// for an id, a SHA-256 for a file, a verification code, a release version
// beginning with a digit, a table's name), otherwise "(not an id)". A path
// is the client's to write, and anyone, signed in or not, could otherwise
// put any text (a name, an escape sequence) into the audit log and its
// export.
func AuditTarget(name, v string) string {
	ok := false
	switch name {
	case "sha":
		ok = len(v) == 64 && strings.Trim(v, "0123456789abcdef") == ""
	case "code":
		ok = certCodeRE.MatchString(NormalizeCertCode(v))
	case "version":
		ok = versionRE.MatchString(v)
	case "table":
		ok = len(v) <= 40 && v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyz_") == ""
	default:
		_, err := uuid.Parse(v)
		ok = (err == nil && len(v) == 36) || (v != "" && len(v) <= 20 && strings.Trim(v, "0123456789") == "")
	}
	if !ok {
		return notAnID
	}
	return v
}

const notAnID = "(not an id)"

var (
	certCodeRE = regexp.MustCompile(`^IML(-[A-Z2-7]{4}){4}$`)
	versionRE  = regexp.MustCompile(`^[0-9][0-9A-Za-z._-]{0,39}$`)
)

// CleanSiteReleases forgets a release a site said it runs that this hub
// never published: the header was the site's to write, and hubs before
// this check kept any text in it. It returns how many sites it changed.
func CleanSiteReleases(tx *gorm.DB) (int64, error) {
	res := tx.Exec("UPDATE sites SET release = '' WHERE release <> '' AND release NOT IN (SELECT version FROM releases)")
	return res.RowsAffected, res.Error
}

// CleanAuditTargets rewrites the targets of audit entries that hubs before
// AuditTarget kept as the client wrote them: each parameter of the route
// is kept as "(not an id)" unless every value was one. It returns how
// many entries it changed.
func CleanAuditTargets(tx *gorm.DB) (int64, error) {
	var changed int64
	var last int64
	for {
		var page []AuditEntry
		if err := tx.Where("id > ? AND targets <> ''", last).Order("id").Limit(2000).Find(&page).Error; err != nil {
			return changed, err
		}
		if len(page) == 0 {
			return changed, nil
		}
		last = page[len(page)-1].ID
		for _, e := range page {
			if targetsClean(e.Targets) {
				continue
			}
			var names []string
			for _, part := range strings.Split(e.Route, "/") {
				if strings.HasPrefix(part, ":") || strings.HasPrefix(part, "*") {
					names = append(names, part[1:]+"="+notAnID)
				}
			}
			if err := tx.Model(&AuditEntry{}).Where("id = ?", e.ID).Update("targets", strings.Join(names, " ")).Error; err != nil {
				return changed, err
			}
			changed++
		}
	}
}

// targetsClean reports whether audit targets ("name=value ...") hold only
// values AuditTarget keeps.
func targetsClean(t string) bool {
	for _, pair := range strings.Split(t, " ") {
		name, v, ok := strings.Cut(pair, "=")
		if !ok || name == "" || (v != notAnID && AuditTarget(name, v) != v) {
			return false
		}
	}
	return true
}
