package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
)

// requireStaff lets signed-in staff through. Pages send others to the sign-in
// page; the API answers 401. A state-changing request authenticated by the
// cookie must carry the session's CSRF token.
func (s *Server) requireStaff(page bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok, viaBearer := web.SessionToken(c)
		u, sess, err := s.staff.SessionUser(c.Request.Context(), tok)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.Respond(c, err)
			return
		}
		if err != nil {
			if page {
				c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
				c.Abort()
				return
			}
			problem.Write(c, problem.New(http.StatusUnauthorized, problem.TypeUnauthorized, "Sign in first (POST /api/v1/auth/login) and send the session token as a Bearer token."))
			return
		}
		if !viaBearer && !auth.Safe(c.Request.Method) {
			// The audit entry of a refused form names who sent it.
			c.Set(web.CtxAuditActor, u)
			if !auth.CSRFValid(c, sess.CSRF) {
				if page {
					s.Render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Form expired", "Message": "This form is out of date. Go back, reload the page and try again."})
					c.Abort()
					return
				}
				problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, "The CSRF token is missing or wrong."))
				return
			}
		}
		c.Set(web.CtxUser, u)
		c.Set(web.CtxSession, sess)
		c.Next()
	}
}

// requireRole lets only the given roles through. A user holding several
// roles acts, for the rest of the request, under the widest of them the
// route allows: handlers read u.Role and u.OrgID (a Program Director's
// organization) and see that role, never a wider one the route refuses.
func (s *Server) requireRole(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := c.MustGet(web.CtxUser).(store.User)
		if acting, ok := u.ActAs(roles...); ok {
			c.Set(web.CtxUser, acting)
			c.Next()
			return
		}
		if web.IsAPI(c) {
			problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, "Your role does not allow this."))
			return
		}
		s.Render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Not allowed", "Message": "Your role does not allow this page."})
		c.Abort()
	}
}

// requireProtocol refuses a request that speaks another protocol version
// before anything else is read.
func (s *Server) requireProtocol(c *gin.Context) {
	v := c.GetHeader(contract.HeaderProtocol)
	if v == contract.ProtocolVersion {
		c.Next()
		return
	}
	detail := fmt.Sprintf("This hub speaks sync protocol %s. ", contract.ProtocolVersion)
	if v == "" {
		detail += "The request did not say which protocol it speaks (header " + contract.HeaderProtocol + ")."
	} else {
		detail += fmt.Sprintf("The agent speaks protocol %q: install an agent release that speaks protocol %s.", v, contract.ProtocolVersion)
	}
	problem.Write(c, problem.New(http.StatusBadRequest, problem.TypeProtocol, detail))
}

// requireSite authenticates an agent by its site credential.
func (s *Server) requireSite(c *gin.Context) {
	site, err := s.intake.SiteByCredential(c.Request.Context(), auth.Bearer(c))
	if errors.Is(err, store.ErrNotFound) {
		c.Header("WWW-Authenticate", `Bearer realm="iml-sync"`)
		problem.Write(c, problem.New(http.StatusUnauthorized, problem.TypeUnauthorized, "The site credential is missing or unknown. Enroll the agent again with a new token from the hub."))
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	if site.RevokedAt != nil {
		problem.Write(c, problem.New(http.StatusForbidden, problem.TypeSiteRevoked, "This site has been revoked at the hub. Contact the national office."))
		return
	}
	c.Set(web.CtxSiteID, site.ID)
	c.Set(web.CtxSite, site)
	c.Next()
}
