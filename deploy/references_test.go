// Package deploy holds the deployment files: Dockerfiles, systemd units,
// example environment files and the demo (deploy/demo). This test keeps
// their comments pointing at files and sections that exist.
package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// docs/operations.md, "As a systemd service" or docs/operations.md#anchor
	docRef = regexp.MustCompile(`docs/([a-z-]+\.(?:md|yaml))(?:, "([^"]+)"|#([a-z0-9-]+))?`)
	// deploy/examples/hub.env, deploy/systemd/iml-hub.service, ...
	deployRef = regexp.MustCompile(`deploy/[A-Za-z0-9_./-]*[A-Za-z0-9_]`)
	heading   = regexp.MustCompile(`(?m)^#+ (.+)$`)
)

// anchor is GitHub's anchor for a heading.
func anchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// TestReferences: every docs/... file, section ("Title") or anchor (#...)
// and every deploy/... path named in the deployment files exists.
func TestReferences(t *testing.T) {
	var files []string
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "docker-compose.yml"), filepath.Join("..", ".dockerignore"))
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, m := range docRef.FindAllStringSubmatch(text, -1) {
			checked++
			doc, err := os.ReadFile(filepath.Join("..", "docs", m[1]))
			if err != nil {
				t.Errorf("%s names docs/%s: %v", f, m[1], err)
				continue
			}
			titles, anchors := map[string]bool{}, map[string]bool{}
			for _, h := range heading.FindAllStringSubmatch(string(doc), -1) {
				titles[h[1]] = true
				anchors[anchor(h[1])] = true
			}
			if m[2] != "" && !titles[m[2]] {
				t.Errorf("%s names the section %q of docs/%s, which has none", f, m[2], m[1])
			}
			if m[3] != "" && !anchors[m[3]] {
				t.Errorf("%s names docs/%s#%s, which has no such heading", f, m[1], m[3])
			}
		}
		for _, p := range deployRef.FindAllString(text, -1) {
			checked++
			if _, err := os.Stat(filepath.Join("..", p)); err != nil {
				t.Errorf("%s names %s: %v", f, p, err)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d references found: is the pattern right?", checked)
	}
}
