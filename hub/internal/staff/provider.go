package staff

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/secret"
)

// OIDCConfig configures staff sign-in through an OpenID Connect provider
// (authorization code flow with state, nonce and PKCE S256).
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (its discovery document lives at
	// Issuer + "/.well-known/openid-configuration").
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this hub's callback as registered at the provider:
	// https://<hub>/auth/oidc/callback.
	RedirectURL string
	// Name is shown on the sign-in button ("Sign in with <Name>").
	Name string
	// GroupsClaim names the ID token (or userinfo) claim that lists the
	// user's groups; "groups" when empty.
	GroupsClaim string
	// RoleMap turns groups into hub roles.
	RoleMap []RoleMapping
	// Scopes are asked for besides openid, email and profile.
	Scopes []string
}

// RoleMapping grants a role (and for a Program Director an organization)
// to the members of a provider group.
type RoleMapping struct {
	Group string
	Role  string
	OrgID string
	// Org is the organization as written in the map (id or name), before
	// it is resolved to OrgID.
	Org string
}

// ParseRoleMap reads a role map: comma-separated entries role=group, with
// director:<organization id or name>=group for Program Directors; a role
// may map several groups (one entry each). Organizations are resolved
// later (ResolveRoleMap).
func ParseRoleMap(s string) ([]RoleMapping, error) {
	var out []RoleMapping
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		lhs, group, ok := strings.Cut(e, "=")
		lhs, group = strings.TrimSpace(lhs), strings.TrimSpace(group)
		if !ok || lhs == "" || group == "" {
			return nil, fmt.Errorf("role map entry %q: want role=group", e)
		}
		role, org, hasOrg := strings.Cut(lhs, ":")
		if !slices.Contains(store.Roles, role) {
			return nil, fmt.Errorf("role map entry %q: role %q is not one of %s", e, role, strings.Join(store.Roles, ", "))
		}
		if role == store.RoleDirector && (!hasOrg || strings.TrimSpace(org) == "") {
			return nil, fmt.Errorf("role map entry %q: a Program Director group names its organization: director:<organization>=group", e)
		}
		if role != store.RoleDirector && hasOrg {
			return nil, fmt.Errorf("role map entry %q: only director takes an organization", e)
		}
		out = append(out, RoleMapping{Group: group, Role: role, Org: strings.TrimSpace(org)})
	}
	return out, nil
}

// ResolveRoleMap turns the organizations named in a role map into ids.
func ResolveRoleMap(ctx context.Context, st *store.Store, m []RoleMapping) error {
	for i := range m {
		if m[i].Role != store.RoleDirector {
			continue
		}
		o, err := st.FindOrganization(ctx, m[i].Org)
		if err != nil {
			return fmt.Errorf("role map: organization %q: %w", m[i].Org, err)
		}
		m[i].OrgID = o.ID
	}
	return nil
}

// grantsFor maps a user's groups to grants.
func grantsFor(m []RoleMapping, groups []string) []store.Grant {
	var out []store.Grant
	for _, r := range m {
		if slices.Contains(groups, r.Group) {
			out = append(out, store.Grant{Role: r.Role, OrgID: r.OrgID, Source: "provider"})
		}
	}
	return out
}

const flowCookie = "iml_hub_oidc"

// oidcClient is the discovered provider; discovery happens at the first
// sign-in (and again after a failure), so the hub starts while the
// provider is unreachable.
type oidcClient struct {
	cfg      OIDCConfig
	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

func (o *oidcClient) discover(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return nil
	}
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return err
	}
	o.provider = p
	o.verifier = p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID})
	o.oauth = oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.cfg.RedirectURL, Scopes: append([]string{oidc.ScopeOpenID, "email", "profile"}, o.cfg.Scopes...)}
	return nil
}

// signInRefusal is a sign-in through the provider that did not work: what
// the user reads, and the cause for the log.
type signInRefusal struct {
	status int
	msg    string
	cause  error
}

func (s *Handlers) oidcDisabled(c *gin.Context) bool {
	if s.oidc != nil {
		return false
	}
	s.Render(c, http.StatusNotFound, "error.html", gin.H{"Title": "Not available", "Message": "This hub has no single sign-on provider configured. Sign in with your hub account."})
	return true
}

func (s *Handlers) OidcStart(c *gin.Context) {
	if s.oidcDisabled(c) {
		return
	}
	ctx := c.Request.Context()
	if err := s.oidc.discover(ctx); err != nil {
		s.Log.Error("oidc discovery", "issuer", s.oidc.cfg.Issuer, "err", err)
		s.Render(c, http.StatusBadGateway, "error.html", gin.H{"Title": "Sign-in unavailable", "Message": "The sign-in provider does not answer. Try again in a few minutes, or sign in with your hub account."})
		return
	}
	state, f, err := s.staff.StartFlow(ctx, auth.SafeNext(c.Query("next")))
	if err != nil {
		s.Respond(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: flowCookie, Value: state, Path: "/auth/oidc", MaxAge: int(FlowTTL.Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	u := s.oidc.oauth.AuthCodeURL(state, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	c.Redirect(http.StatusFound, u)
}

var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,40}$`)

func (s *Handlers) OidcCallback(c *gin.Context) {
	if s.oidcDisabled(c) {
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: flowCookie, Value: "", Path: "/auth/oidc", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	u, tok, next, ref := s.finishOIDC(c)
	if ref != nil {
		if ref.cause != nil {
			s.Log.Warn("oidc sign-in refused", "status", ref.status, "err", ref.cause)
		}
		c.Set(web.CtxAuditActor, u)
		s.Render(c, ref.status, "signin_refused.html", gin.H{"Title": "Sign-in failed", "Message": ref.msg})
		return
	}
	c.Set(web.CtxAuditActor, u)
	s.setSessionCookie(c, tok, int(store.SessionTTL.Seconds()))
	// next was checked when the sign-in started; checked again, a flow
	// stored by an older version cannot lead off the hub either.
	c.Redirect(http.StatusSeeOther, auth.SafeNext(next))
}

func (s *Handlers) finishOIDC(c *gin.Context) (store.User, string, string, *signInRefusal) {
	ctx := c.Request.Context()
	if e := c.Query("error"); e != "" {
		code := "an error"
		if oauthErrorCode.MatchString(e) {
			code = e
		}
		return store.User{}, "", "", &signInRefusal{http.StatusUnauthorized, "The sign-in provider refused the sign-in (" + code + ").", nil}
	}
	state := c.Query("state")
	cookie, _ := c.Cookie(flowCookie)
	if state == "" || cookie == "" || !secret.Equal(state, cookie) {
		return store.User{}, "", "", &signInRefusal{http.StatusBadRequest, "This sign-in could not be matched to one started in this browser. Start again.", errors.New("state does not match the flow cookie")}
	}
	f, err := s.staff.TakeFlow(ctx, state)
	if errors.Is(err, ErrFlowInvalid) {
		return store.User{}, "", "", &signInRefusal{http.StatusBadRequest, "This sign-in has expired or was already used. Start again.", err}
	}
	if err != nil {
		return store.User{}, "", "", &signInRefusal{http.StatusInternalServerError, "The hub could not sign you in. The failure has been logged.", err}
	}
	if err := s.oidc.discover(ctx); err != nil {
		return store.User{}, "", "", &signInRefusal{http.StatusBadGateway, "The sign-in provider does not answer. Try again in a few minutes.", err}
	}
	code := c.Query("code")
	if code == "" {
		return store.User{}, "", "", &signInRefusal{http.StatusBadRequest, "The sign-in provider sent no authorization code. Start again.", nil}
	}
	ot, err := s.oidc.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return store.User{}, "", "", &signInRefusal{http.StatusUnauthorized, "The sign-in provider did not accept this sign-in. Start again.", fmt.Errorf("code exchange: %w", err)}
	}
	raw, _ := ot.Extra("id_token").(string)
	if raw == "" {
		return store.User{}, "", "", &signInRefusal{http.StatusUnauthorized, "The sign-in provider sent no ID token.", errors.New("no id_token in the token response")}
	}
	idt, err := s.oidc.verifier.Verify(ctx, raw)
	if err != nil {
		return store.User{}, "", "", &signInRefusal{http.StatusUnauthorized, "The sign-in provider's answer could not be verified.", fmt.Errorf("id token: %w", err)}
	}
	if idt.Nonce == "" || !secret.Equal(idt.Nonce, f.Nonce) {
		return store.User{}, "", "", &signInRefusal{http.StatusUnauthorized, "The sign-in provider's answer belongs to another sign-in. Start again.", errors.New("nonce does not match")}
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return store.User{}, "", "", &signInRefusal{http.StatusUnauthorized, "The sign-in provider's answer could not be read.", err}
	}
	groupsClaim := s.oidc.cfg.GroupsClaim
	if groupsClaim == "" {
		groupsClaim = "groups"
	}
	if _, hasEmail := claims["email"]; !hasEmail || claims[groupsClaim] == nil {
		// Many providers put these only in the userinfo answer.
		if ui, err := s.oidc.provider.UserInfo(ctx, oauth2.StaticTokenSource(ot)); err == nil {
			extra := map[string]any{}
			if err := ui.Claims(&extra); err == nil && extra["sub"] == idt.Subject {
				for k, v := range extra {
					if _, ok := claims[k]; !ok {
						claims[k] = v
					}
				}
			}
		}
	}
	id := Identity{Issuer: idt.Issuer, Subject: idt.Subject, Grants: grantsFor(s.oidc.cfg.RoleMap, stringsOf(claims[groupsClaim]))}
	id.Email, _ = claims["email"].(string)
	id.EmailVerified = claims["email_verified"] == true
	id.Name, _ = claims["name"].(string)
	u, tok, err := s.staff.OIDCSignIn(ctx, id)
	if errors.Is(err, ErrNoRole) {
		return u, "", "", &signInRefusal{http.StatusForbidden, "You signed in as " + u.Email + ", but you hold no role at the hub. Ask a hub administrator to give you one, then sign in again.", nil}
	}
	if err != nil {
		return store.User{}, "", "", &signInRefusal{http.StatusInternalServerError, "The hub could not sign you in. The failure has been logged.", err}
	}
	return u, tok, f.Next, nil
}

// stringsOf reads a groups claim: a list of strings, or one string.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
