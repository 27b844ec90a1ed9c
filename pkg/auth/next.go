package auth

import (
	"net/url"
	"strings"
)

// maxNextLen bounds a post-sign-in address; the pages' own are far shorter.
const maxNextLen = 2048

// SafeNext keeps a post-sign-in redirect on this site: it returns next
// when it is a path on this site, and "/" otherwise.
//
// A path on this site begins with a single "/" followed by anything but a
// second "/" or a "\" (which browsers read as "/": "//host" and "/\host"
// name another host), and holds only printable ASCII: no space, no control
// character (browsers drop a tab or a line break inside an address, so
// "/<tab>/host" becomes "//host"), no backslash and nothing outside ASCII
// (the addresses the pages build are percent-encoded). It must parse as a
// relative reference with no scheme and no host, and its decoded path must
// hold no control character or backslash, must not begin with "//" and
// must have no "." or ".." segment, so that no step that decodes or
// normalises it later can turn it into another host's address.
func SafeNext(next string) string {
	if !safeNext(next) {
		return "/"
	}
	return next
}

func safeNext(next string) bool {
	if len(next) < 1 || len(next) > maxNextLen || next[0] != '/' {
		return false
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return false
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return false
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return false
	}
	// u.Path is decoded: "%2F", "%5C" and "%09" are "/", "\" and a tab in it.
	if strings.HasPrefix(u.Path, "//") {
		return false
	}
	for i := 0; i < len(u.Path); i++ {
		if c := u.Path[i]; c < ' ' || c == 0x7f || c == '\\' {
			return false
		}
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	// The query and fragment stay as they are (percent-encoded) in the
	// address the browser is sent to; decoded, they must not carry a line
	// break or another control character either.
	for _, part := range []string{u.RawQuery, u.EscapedFragment()} {
		dec, err := url.QueryUnescape(part)
		if err != nil {
			return false
		}
		for i := 0; i < len(dec); i++ {
			if c := dec[i]; c < ' ' || c == 0x7f {
				return false
			}
		}
	}
	return true
}
