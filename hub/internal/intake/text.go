package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// storableText refuses payload text PostgreSQL cannot hold in a text column:
// bytes that are not UTF-8 and the NUL character (which JSON can carry as
// \u0000). SQLite would take them; PostgreSQL would fail the whole batch,
// or later the projection of every record pending with it.
func storableText(data []byte) error {
	if !utf8.Valid(data) {
		return errors.New("data is not valid UTF-8")
	}
	if !bytes.Contains(data, []byte(`\u0000`)) {
		return nil
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if hasNUL(v) {
		return errors.New("data holds a NUL character")
	}
	return nil
}

func hasNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, 0)
	case []any:
		for _, e := range v {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.ContainsRune(k, 0) || hasNUL(e) {
				return true
			}
		}
	}
	return false
}
