package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/program"
	"github.com/itsmylife/iml/pkg/webui"
)

// participantMessages are every message the participant's pages ask the
// catalogue for: the t calls of the agent's templates, the messages of
// its Go code passed to web.T or marked with i18n.M, and the texts of the
// default release those pages show (journal prompts, survey statements
// and answers). Each is mapped to where it was found.
func participantMessages(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, fsys := range []fs.FS{web.TemplateFS(), webui.TemplateFS()} {
		err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
				return err
			}
			b, err := fs.ReadFile(fsys, path)
			for _, m := range i18n.TemplateCalls(string(b)) {
				out[m] = path
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	fset := token.NewFileSet()
	// The agent's code and the shared pages' (pkg/webui).
	for _, dir := range []string{"..", "../../../pkg/webui"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			f, err := parser.ParseFile(fset, path, src, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				arg := -1
				switch fn := call.Fun.(type) {
				case *ast.SelectorExpr:
					if x, ok := fn.X.(*ast.Ident); ok && (x.Name == "i18n" && fn.Sel.Name == "M") {
						arg = 0
					} else if ok && x.Name == "web" && fn.Sel.Name == "T" {
						arg = 1
					}
				case *ast.Ident:
					if fn.Name == "T" && f.Name.Name == "web" {
						arg = 1
					}
				}
				if arg < 0 || len(call.Args) <= arg {
					return true
				}
				lit, ok := call.Args[arg].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Errorf("%s: a message must be a string literal, for the catalogue", fset.Position(call.Pos()))
					return true
				}
				s, _ := strconv.Unquote(lit.Value)
				out[s] = fset.Position(call.Pos()).String()
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rel := program.Default()
	for _, p := range rel.JournalPrompts {
		out[p.Text] = "release journal prompt " + p.Code
	}
	for _, s := range rel.Survey.Statements {
		out[s.Text] = "release survey statement " + s.Code
	}
	for _, a := range rel.Survey.Answers {
		out[a.Text] = "release survey answer " + a.Code
	}
	return out
}

// TestSpanishCatalogue: every message of the participant's pages has a
// Spanish translation with the same verbs, and the catalogue holds no
// message that no page asks for (which a translator would translate for
// nothing).
func TestSpanishCatalogue(t *testing.T) {
	msgs := participantMessages(t)
	if len(msgs) < 80 {
		t.Fatalf("found only %d messages; is the search broken?", len(msgs))
	}
	cat := i18n.Default()
	var missing []string
	for m, where := range msgs {
		if !cat.Has(i18n.Spanish, m) {
			missing = append(missing, strconv.Quote(m)+"  ("+where+")")
			continue
		}
		if tr := cat.Text(i18n.Spanish, m); !slices.Equal(i18n.Verbs(m), i18n.Verbs(tr)) {
			t.Errorf("%q: verbs %v, translation %q", m, i18n.Verbs(m), tr)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("%d messages have no Spanish translation in pkg/i18n/locales/es.json:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	var unused []string
	for _, k := range cat.Keys(i18n.Spanish) {
		if _, ok := msgs[k]; !ok {
			unused = append(unused, strconv.Quote(k))
		}
	}
	if len(unused) > 0 {
		t.Errorf("%d Spanish messages are asked for by no page:\n%s", len(unused), strings.Join(unused, "\n"))
	}
}

// TestCapitalizeKeepsText: a message that begins with a quotation mark or
// an accented letter stays valid text (the journal's summary began with
// a broken byte).
func TestCapitalizeKeepsText(t *testing.T) {
	for in, want := range map[string]string{"“Resumen” tiene": "“Resumen” tiene", "élan": "Élan", "enter a date": "Enter a date", "": ""} {
		if got := web.Capitalize(in); got != want || !utf8.ValidString(got) {
			t.Errorf("Capitalize(%q) = %q, want %q", in, got, want)
		}
	}
}
