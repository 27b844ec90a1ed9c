package jsonx

import (
	"errors"
	"testing"
)

type numbered struct {
	Count *int `json:"count" range:"0..1000"`
	Lines []struct {
		Minutes int `json:"minutes"`
	} `json:"lines"`
	Answers map[string]uint8 `json:"answers"`
	Share   float64          `json:"share"`
	Name    string           `json:"name"`
}

// TestNumberError: a number a whole-number field cannot hold names its
// field (nested as answers name it), with the range its tag gives; any
// other mistake is not one.
func TestNumberError(t *testing.T) {
	for body, want := range map[string]NumberError{
		`{"count":1.5}`:                              {"count", "Enter a whole number from 0 to 1000"},
		`{"count":1e3}`:                              {"count", "Enter a whole number from 0 to 1000"},
		`{"count":99999999999999999999}`:             {"count", "Enter a whole number from 0 to 1000"},
		`{"lines":[{"minutes":2},{"minutes":-0.5}]}`: {"lines[1].minutes", "Enter a whole number, in digits"},
		`{"answers":{"q1":300}}`:                     {"answers.q1", "Enter a whole number, in digits"},
	} {
		var v numbered
		var ne *NumberError
		if err := Unmarshal([]byte(body), &v); !errors.As(err, &ne) || *ne != want {
			t.Errorf("%s: %v, want %+v", body, err, want)
		}
	}
	for _, body := range []string{`{"count":"two"}`, `{"share":"x"}`, `{"name":3}`, `{"count":true}`} {
		var v numbered
		var ne *NumberError
		if err := Unmarshal([]byte(body), &v); err == nil || errors.As(err, &ne) {
			t.Errorf("%s: %v, want another error", body, err)
		}
	}
	var v numbered
	if err := Unmarshal([]byte(`{"count":7,"share":1.5,"lines":[{"minutes":3}]}`), &v); err != nil || *v.Count != 7 {
		t.Errorf("good numbers: %v", err)
	}
}
