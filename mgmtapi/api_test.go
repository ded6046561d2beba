package mgmtapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/mgmtapi"
	"github.com/scimd/scimd/scimdclient"
)

func TestAuthentication(t *testing.T) {
	e := sqliteEnv(t)
	ctx := context.Background()
	revoked, k, err := mgmtapi.CreateAPIKey(ctx, e.db, "old", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.RevokeAPIKey(ctx, k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	acc := e.account("acme")
	scimToken, _, err := e.svc.CreateToken(ctx, acc, "okta", 0)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		header string
		want   int
		detail string
	}{
		{"missing", "", 401, "Authorization: Bearer"},
		{"not-bearer", "Basic " + e.key, 401, "Authorization: Bearer"},
		{"empty-bearer", "Bearer ", 401, "Authorization: Bearer"},
		{"unknown", "Bearer scimd_key_nope", 401, "not known"},
		{"revoked", "Bearer " + revoked, 401, "revoked"},
		{"scim-token-is-not-an-api-key", "Bearer " + scimToken, 401, "not known"},
		{"valid", "Bearer " + e.key, 200, ""},
		{"valid-lowercase-scheme", "bearer " + e.key, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/accounts", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want != 401 {
				return
			}
			if body["error"]["code"] != "unauthorized" ||
				!strings.Contains(body["error"]["message"], tt.detail) {
				t.Errorf("error body %v, want code unauthorized and %q", body, tt.detail)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
		})
	}

	// The document describing the API needs no key.
	if status, _ := e.callAs("", "GET", "/openapi.json", ""); status != 200 {
		t.Errorf("openapi.json without a key: status %d", status)
	}
}

func TestAPIKeyRoutes(t *testing.T) {
	e := sqliteEnv(t)
	status, body := e.call("POST", "/api-keys", `{"label":"deploy"}`)
	secret, _ := body["secret"].(string)
	if status != 201 || !strings.HasPrefix(secret, mgmtapi.KeyPrefix) || body["label"] != "deploy" {
		t.Fatalf("create: %d %v", status, body)
	}
	if status, _ := e.callAs(secret, "GET", "/api-keys", ""); status != 200 {
		t.Fatalf("the new key does not work: %d", status)
	}
	_, body = e.call("GET", "/api-keys", "")
	items := body["items"].([]any)
	if len(items) != 2 || strings.Contains(toJSON(items), secret) {
		t.Fatalf("list: %v, want two keys and no secret", items)
	}
	id := items[0].(map[string]any)["id"].(string)
	if status, _ := e.call("DELETE", "/api-keys/"+id, ""); status != 204 {
		t.Fatalf("revoke: %d", status)
	}
	if status, _ := e.callAs(secret, "GET", "/api-keys", ""); status != 401 {
		t.Errorf("revoked key: status %d, want 401", status)
	}
	status, body = e.call("DELETE", "/api-keys/nope", "")
	if status != 404 || errCode(body) != "not_found" {
		t.Errorf("revoke unknown: %d %v", status, body)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestAccountsAndTokens(t *testing.T) {
	e := sqliteEnv(t)
	ctx := context.Background()
	acc, err := e.client.CreateAccount(ctx, "acme")
	if err != nil || acc.ID == "" || acc.Name != "acme" {
		t.Fatalf("create: %+v, %v", acc, err)
	}

	tok, err := e.client.CreateToken(ctx, acc.ID, "okta", time.Hour)
	if err != nil || !strings.HasPrefix(tok.Secret, "scimd_") || tok.Status != "active" ||
		tok.Expires == nil {
		t.Fatalf("create token: %+v, %v", tok, err)
	}
	if _, err := e.svc.Authenticate(ctx, tok.Secret, "test"); err != nil {
		t.Fatalf("the token does not authenticate: %v", err)
	}
	next, err := e.client.RotateToken(ctx, acc.ID, tok.ID, 10*time.Minute)
	if err != nil || next.Secret == "" || next.ID == tok.ID || next.Label != "okta" {
		t.Fatalf("rotate: %+v, %v", next, err)
	}
	if _, err := e.svc.Authenticate(ctx, tok.Secret, "test"); err != nil {
		t.Errorf("the old token stopped within its overlap: %v", err)
	}
	if err := e.client.RevokeToken(ctx, acc.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	list, err := e.client.Tokens(ctx, acc.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("tokens: %+v, %v", list, err)
	}
	for _, tk := range list {
		if tk.Secret != "" {
			t.Errorf("a listed token shows its secret")
		}
		if tk.ID == tok.ID && tk.Status != "revoked" {
			t.Errorf("revoked token has status %q", tk.Status)
		}
	}

	tests := []struct {
		name, method, path, body string
		status                   int
		code, detail             string
	}{
		{"empty-name", "POST", "/accounts", `{"name":" "}`, 400, "invalid", "name"},
		{"taken-name", "POST", "/accounts", `{"name":"acme"}`, 409, "conflict", ""},
		{"unknown-field", "POST", "/accounts", `{"nmae":"x"}`, 400, "invalid", "nmae"},
		{"no-body", "POST", "/accounts", ``, 400, "invalid", "JSON object"},
		{"not-json", "POST", "/accounts", `name=x`, 400, "invalid", ""},
		{"too-large", "POST", "/accounts", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`,
			413, "too_large", "bytes"},
		{"unknown-account", "GET", "/accounts/nope", ``, 404, "not_found", ""},
		{"tokens-of-unknown", "GET", "/accounts/nope/tokens", ``, 404, "not_found", ""},
		{"negative-ttl", "POST", "/accounts/" + acc.ID + "/tokens", `{"ttl_seconds":-1}`,
			400, "invalid", "ttl_seconds"},
		{"overlap-too-long", "POST", "/accounts/" + acc.ID + "/tokens/" + next.ID + "/rotate",
			`{"overlap_seconds":99999999}`, 400, "invalid", "overlap_seconds"},
		// Seconds whose nanoseconds overflow an int64: negative, which once
		// made a token that never expires, and nearly zero.
		{"ttl-overflow", "POST", "/accounts/" + acc.ID + "/tokens",
			`{"ttl_seconds":9223372037}`, 400, "invalid", "ttl_seconds"},
		{"overlap-overflow", "POST", "/accounts/" + acc.ID + "/tokens/" + next.ID + "/rotate",
			`{"overlap_seconds":18446744074}`, 400, "invalid", "overlap_seconds"},
		{"rotate-unknown", "POST", "/accounts/" + acc.ID + "/tokens/nope/rotate", ``,
			404, "not_found", ""},
		{"revoke-unknown", "DELETE", "/accounts/" + acc.ID + "/tokens/nope", ``,
			404, "not_found", ""},
		{"no-route", "GET", "/nope", ``, 404, "not_found", "openapi.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.call(tt.method, tt.path, tt.body)
			errObj, _ := body["error"].(map[string]any)
			msg, _ := errObj["message"].(string)
			if status != tt.status || errCode(body) != tt.code || !strings.Contains(msg, tt.detail) {
				t.Errorf("got %d %v, want %d %s mentioning %q", status, body, tt.status,
					tt.code, tt.detail)
			}
		})
	}

	if err := e.client.DeleteAccount(ctx, acc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Account(ctx, acc.ID); !scimdclient.IsNotFound(err) {
		t.Errorf("deleted account: got %v, want 404", err)
	}
}

// wildcard matches "{name}" wildcards into "{}" so that the document's
// parameter names and the mux's compare as routes.
var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// TestOpenAPIMatchesRoutes checks the document against the real mux in
// both directions: every operation it lists reaches a handler registered
// for exactly that route, and every registered route is documented.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := sqliteEnv(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Servers []struct{ URL string }                `json:"servers"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	status, _ := e.callAs("", "GET", "/openapi.json", "")
	resp, err := http.Get(e.srv.URL + "/api/v1/openapi.json")
	if err != nil || status != 200 {
		t.Fatalf("get document: %d %v", status, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") || len(doc.Servers) != 1 ||
		doc.Servers[0].URL != mgmtapi.Prefix {
		t.Fatalf("document header: openapi %q, servers %v", doc.OpenAPI, doc.Servers)
	}

	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+
				wildcard.ReplaceAllString(mgmtapi.Prefix+path, "{}"))
		}
	}
	var registered []string
	for _, r := range mgmtapi.Routes() {
		registered = append(registered, wildcard.ReplaceAllString(r, "{}"))
	}
	slices.Sort(documented)
	slices.Sort(registered)
	if !slices.Equal(documented, registered) {
		t.Errorf("document and mux differ:\ndocumented %v\nregistered %v", documented, registered)
	}

	// Each documented route reaches the mux pattern registered for it.
	api, err := mgmtapi.New(mgmtapi.Config{Service: e.svc, Store: e.db, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range documented {
		method, path, _ := strings.Cut(route, " ")
		req, _ := http.NewRequest(method, strings.ReplaceAll(path, "{}", "x1"), nil)
		_, pattern := api.Handler(req)
		if wildcard.ReplaceAllString(pattern, "{}") != route {
			t.Errorf("%s reaches pattern %q", route, pattern)
		}
	}
}
