package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/httpapi"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// benchServer serves the SCIM API over SQLite and returns its base URL and a
// token.
func benchServer(b *testing.B) (string, string) {
	b.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := directory.NewService(sqlstoretest.Open(b, sqlstore.SQLite), directory.WithLogger(quiet))
	mux := http.NewServeMux()
	httpapi.New(httpapi.Config{Service: svc, Logger: quiet}).Register(mux)
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)

	ctx := context.Background()
	a, err := svc.CreateAccount(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := svc.CreateToken(ctx, a.ID, "bench", 0)
	if err != nil {
		b.Fatal(err)
	}
	return srv.URL + httpapi.Bases[1], token
}

func send(b *testing.B, method, url, token, body string, want int) {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s = %d, want %d", method, url, resp.StatusCode, want)
	}
}

// BenchmarkHTTP measures whole SCIM requests over loopback HTTP. The
// ServiceProviderConfig read touches no database and is the baseline: the
// cost of HTTP, routing and JSON alone.
func BenchmarkHTTP(b *testing.B) {
	base, token := benchServer(b)
	for i := range 1000 {
		send(b, "POST", base+"/Users", token, fmt.Sprintf(
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"seed%d@example.com"}`, i), 201)
	}
	lookup := base + "/Users?filter=" + url.QueryEscape(`userName eq "seed500@example.com"`)

	b.Run("ServiceProviderConfig", func(b *testing.B) {
		for b.Loop() {
			send(b, "GET", base+"/ServiceProviderConfig", token, "", 200)
		}
	})
	b.Run("userName-eq", func(b *testing.B) {
		for b.Loop() {
			send(b, "GET", lookup, token, "", 200)
		}
	})
	n := 0 // userNames stay unique however often the sub-benchmark runs
	b.Run("create-user", func(b *testing.B) {
		for b.Loop() {
			n++
			send(b, "POST", base+"/Users", token, fmt.Sprintf(
				`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u%d@example.com"}`, n), 201)
		}
	})
}
