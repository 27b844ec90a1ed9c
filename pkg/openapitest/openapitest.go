// Package openapitest checks a program's HTTP routes and answers against
// its OpenAPI description (docs/openapi*.yaml), for the programs' tests.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gin-gonic/gin"
)

// Load reads an OpenAPI description from a file, resolving its references
// to other local files (the agent's refers to the hub's), and validates it
// as OpenAPI 3.1.
func Load(t testing.TB, path string) *openapi3.T {
	t.Helper()
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = true
	doc, err := l.LoadFromFile(path)
	if err != nil {
		t.Fatalf("%s does not load: %v", path, err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("%s says openapi %q; the descriptions are OpenAPI 3.1", path, doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.IsOpenAPI31OrLater(), openapi3.EnableMultiError()); err != nil {
		t.Fatalf("%s is not a valid OpenAPI description: %v", path, err)
	}
	return doc
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// SpecPath writes a gin route's path the OpenAPI way: /users/:id becomes
// /users/{id}.
func SpecPath(ginPath string) string { return ginParam.ReplaceAllString(ginPath, "{$1}") }

// Operation is a method and a path in OpenAPI's form.
type Operation struct{ Method, Path string }

func (o Operation) String() string { return o.Method + " " + o.Path }

// CheckRoutes fails the test for every route of the engine that isAPI says
// is an API route and the description does not describe, and for every
// operation the description describes that the engine does not serve (or
// that isAPI says is not API). It returns the API operations it compared.
func CheckRoutes(t testing.TB, doc *openapi3.T, routes gin.RoutesInfo, isAPI func(path string) bool) []Operation {
	t.Helper()
	served := map[Operation]bool{}
	var api []Operation
	for _, r := range routes {
		op := Operation{r.Method, SpecPath(r.Path)}
		served[op] = true
		if isAPI(r.Path) {
			api = append(api, op)
		}
	}
	sort.Slice(api, func(i, j int) bool { return api[i].String() < api[j].String() })
	for _, op := range api {
		if doc.Paths.Value(op.Path) == nil || doc.Paths.Value(op.Path).GetOperation(op.Method) == nil {
			t.Errorf("%s is served but not described", op)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			op := Operation{method, path}
			switch {
			case !served[op]:
				t.Errorf("%s is described but not served", op)
			case !isAPI(path):
				t.Errorf("%s is described but the test's rule says it is not API: change the rule or the description", op)
			}
		}
	}
	return api
}

// Call serves req with h and checks the answer (status, headers, body)
// against the operation the description gives for req's method at
// specPath: a status the operation does not list fails too. It returns the
// answer.
func Call(t testing.TB, doc *openapi3.T, h http.Handler, req *http.Request, specPath string) *httptest.ResponseRecorder {
	t.Helper()
	item := doc.Paths.Value(specPath)
	if item == nil || item.GetOperation(req.Method) == nil {
		t.Fatalf("%s %s is not described", req.Method, specPath)
	}
	params, ok := pathParams(specPath, req.URL.Path)
	if !ok {
		t.Fatalf("%s does not match %s", req.URL.Path, specPath)
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			t.Fatal(err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      &routers.Route{Spec: doc, Path: specPath, PathItem: item, Method: req.Method, Operation: item.GetOperation(req.Method)},
		Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 w.Code,
		Header:                 w.Header(),
		Body:                   io.NopCloser(bytes.NewReader(w.Body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if err != nil {
		t.Errorf("%s %s answered %d %s, which its description does not allow: %v", req.Method, req.URL.Path, w.Code, truncate(w.Body.String()), err)
	}
	return w
}

// pathParams matches a path to an OpenAPI path template.
func pathParams(template, path string) (map[string]string, bool) {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return nil, false
	}
	params := map[string]string{}
	for i, seg := range ts {
		switch {
		case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}"):
			params[seg[1:len(seg)-1]] = ps[i]
		case seg != ps[i]:
			return nil, false
		}
	}
	return params, true
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// Caller makes real calls to a program's handler and checks each answer
// against the description (Call).
type Caller struct {
	T       *testing.T
	Doc     *openapi3.T
	Handler http.Handler
}

// Call sends method path (described as specPath) with a bearer token and
// a JSON body when given, and returns the answer, checked.
func (c Caller) Call(method, path, specPath, token, body string) *httptest.ResponseRecorder {
	c.T.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return Call(c.T, c.Doc, c.Handler, r, specPath)
}

// Expect fails the test unless an answer has the status and content type.
func (c Caller) Expect(w *httptest.ResponseRecorder, status int, contentType string) {
	c.T.Helper()
	if w.Code != status || !strings.HasPrefix(w.Header().Get("Content-Type"), contentType) {
		c.T.Errorf("answered %d %s, want %d %s: %s", w.Code, w.Header().Get("Content-Type"), status, contentType, w.Body.String())
	}
}

// Login signs in through POST /api/v1/auth/login, checking the answer,
// and returns the session token.
func (c Caller) Login(email, password string) string {
	c.T.Helper()
	body, err := json.Marshal(map[string]string{"email": email, "password": password})
	if err != nil {
		c.T.Fatal(err)
	}
	w := c.Call("POST", "/api/v1/auth/login", "/api/v1/auth/login", "", string(body))
	c.Expect(w, 200, "application/json")
	var login struct{ Token string }
	if err := json.Unmarshal(w.Body.Bytes(), &login); err != nil || login.Token == "" {
		c.T.Fatalf("sign-in: %v %s", err, w.Body.String())
	}
	return login.Token
}

// CheckHandler checks a program's handler (a gin engine) against its
// description both ways (CheckRoutes, with isAPI and at least 20 API
// routes) and returns a Caller for real calls to it.
func CheckHandler(t *testing.T, doc *openapi3.T, h http.Handler, isAPI func(path string) bool) Caller {
	t.Helper()
	engine, ok := h.(*gin.Engine)
	if !ok {
		t.Fatalf("the handler is a %T, not a gin engine", h)
	}
	if api := CheckRoutes(t, doc, engine.Routes(), isAPI); len(api) < 20 {
		t.Fatalf("only %d API routes: is the rule right?", len(api))
	}
	return Caller{T: t, Doc: doc, Handler: h}
}
