package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/scimd/scimd/console"
	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestSetupLinksRedeemedAtOnce follows several setup links, as scimd hands
// out after restarts within an hour, and submits them all at the same
// moment: one makes the first operator, the others are told the link is
// used, on either engine.
func TestSetupLinksRedeemedAtOnce(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db := open(t)
		quiet := slog.New(slog.DiscardHandler)
		svc := directory.NewService(db, directory.WithLogger(quiet))
		h, err := console.New(console.Config{Service: svc, Store: db, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)

		const links = 4
		paths := make([]string, links)
		for i := range paths {
			if paths[i], err = console.SetupLink(context.Background(), db); err != nil {
				t.Fatal(err)
			}
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
		statuses := make([]int, links)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, path := range paths {
			wg.Go(func() {
				form := url.Values{"email": {fmt.Sprintf("op%d@example.com", i)},
					"password": {testPassword}, "confirm": {testPassword}}
				<-start
				resp, err := client.Post(srv.URL+path, "application/x-www-form-urlencoded",
					strings.NewReader(form.Encode()))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			})
		}
		close(start)
		wg.Wait()

		created, refused := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusSeeOther:
				created++
			case http.StatusNotFound:
				refused++
			}
		}
		ops, err := db.ConsoleUsers(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if created != 1 || refused != links-1 || len(ops) != 1 {
			t.Errorf("answers %v and %d operators; want one 303, the rest 404, one operator",
				statuses, len(ops))
		}
	})
}
