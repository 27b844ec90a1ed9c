package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

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
			err := tx.Model(&Record{}).Where("id = ? AND version = ?", r.ID, r.Version).
				Updates(map[string]any{"deleted": true, "data": "", "hash": contract.HashRecord(r.Type, true, nil), "projected": false}).Error
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
