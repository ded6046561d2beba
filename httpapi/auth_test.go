package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/scim"
)

// A request without a usable token gets 401 with a WWW-Authenticate
// challenge (RFC 6750 §3) and a SCIM error body that says why, and changes
// nothing.
func TestUnauthorized(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		revoked, tok, err := s.svc.CreateToken(ctx, s.account.ID, "revoked", 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.svc.RevokeToken(ctx, s.account.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		expiring, _, err := s.svc.CreateToken(ctx, s.account.ID, "expiring", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.clientFor(expiring).get("/Users").want(t, http.StatusOK)
		s.clock.advance(2 * time.Hour)
		before := snapshot(t, s.client)

		for _, tc := range []struct {
			name, auth, detail string
		}{
			{"missing", "", "no bearer token"},
			{"unknown", "Bearer scimd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not known"},
			{"not-bearer", "Basic " + "YWRtaW46YWRtaW4=", "no bearer token"},
			{"empty-bearer", "Bearer ", "no bearer token"},
			{"revoked", "Bearer " + revoked, "revoked"},
			{"expired", "Bearer " + expiring, "expired"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := s.clientFor("")
				c.t = t
				for _, req := range []struct {
					method, path string
					body         any
				}{
					{"GET", "/Users", nil},
					{"GET", "/Groups/any-id", nil},
					{"POST", "/Users", newUser("mallory@example.com")},
					{"POST", "/.search", map[string]any{
						"schemas": []string{scim.SearchRequestSchema}}},
					{"DELETE", "/Users/any-id", nil},
					{"POST", "/Bulk", nil},
				} {
					r := c.do(req.method, req.path, req.body, "Authorization", tc.auth)
					r.wantError(t, http.StatusUnauthorized, "", tc.detail)
					if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="scimd"` {
						t.Errorf("%s %s: WWW-Authenticate %q, want a Bearer challenge",
							req.method, req.path, got)
					}
				}
			})
		}
		if after := snapshot(t, s.client); after != before {
			t.Errorf("an unauthorized request changed stored data:\nbefore %s\nafter  %s",
				before, after)
		}

		// Some identity providers send the token without the scheme.
		s.client.do("GET", "/Users", nil, "Authorization", s.client.token).want(t, http.StatusOK)
	})
}

// Unknown routes, wrong methods and the endpoints scimd does not serve
// answer in the SCIM error schema under both base paths.
func TestRoutes(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		for _, base := range httpapi.Bases {
			c := s.client.under(base)
			for _, tc := range []struct {
				method, path string
				status       int
				detail       string
				allow        string
			}{
				{"GET", "/Accounts", 404, "no SCIM endpoint", ""},
				{"GET", "/Users/a/b", 404, "no SCIM endpoint", ""},
				{"GET", "/users", 404, "no SCIM endpoint", ""},
				{"GET", "/Users/", 404, "without the trailing slash", ""},
				{"POST", "/Groups/", 404, "without the trailing slash", ""},
				{"GET", "/ServiceProviderConfig/", 404, "without the trailing slash", ""},
				{"DELETE", "/Users", 405, "DELETE is not allowed", "GET, POST"},
				{"PUT", "/Groups", 405, "PUT is not allowed", "GET, POST"},
				{"POST", "/Users/some-id", 405, "POST is not allowed", "GET, PUT, PATCH, DELETE"},
				{"POST", "/ServiceProviderConfig", 405, "POST is not allowed", "GET"},
				{"DELETE", "/Schemas/" + scim.UserSchema, 405, "DELETE is not allowed", "GET"},
				{"GET", "/.search", 405, "GET is not allowed", "POST"},
				{"GET", "/Bulk", 405, "GET is not allowed", "POST"},
				{"DELETE", "/Bulk", 405, "DELETE is not allowed", "POST"},
				{"GET", "/Me", 501, "/Me", ""},
				{"PUT", "/Me", 501, "/Me", ""},
			} {
				res := c.do(tc.method, tc.path, nil)
				res.wantError(t, tc.status, "", tc.detail)
				if got := res.header.Get("Allow"); got != tc.allow {
					t.Errorf("%s %s: Allow = %q, want %q", tc.method, tc.path, got, tc.allow)
				}
			}
		}
	})
}
