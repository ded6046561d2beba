package replicatest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestTwoReplicas runs two scimd processes on one PostgreSQL schema and
// races writes through both: whatever must be unique or ordered holds
// because the database enforces it, not a lock in one process.
func TestTwoReplicas(t *testing.T) {
	database := sqlstoretest.SchemaURL(t)

	// Both start at once on the empty schema and so race to migrate it.
	bin := binary(t)
	replicas := make([]*replica, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, name := range []string{"replica-a", "replica-b"} {
		wg.Go(func() { replicas[i], errs[i] = launch(t, bin, name, database) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	// The schema is current; an explicit migration changes nothing.
	if out := cli(t, database, "migrate"); out != "migrations applied" {
		t.Fatalf("scimd migrate printed %q", out)
	}
	accountID := cli(t, database, "account", "create", "acme")
	c := newClient(cli(t, database, "token", "create", "--account", "acme"))
	base := func(i int) string { return replicas[i%2].URL + "/scim/v2" }

	t.Run("unique-userName", func(t *testing.T) { testUniqueUserName(t, c, base) })
	t.Run("membership", func(t *testing.T) { testMembership(t, c, base) })
	t.Run("if-match", func(t *testing.T) { testIfMatch(t, c, base) })
	t.Run("tokens", func(t *testing.T) { testTokens(t, database, base) })
	t.Run("events", func(t *testing.T) { testEventCursor(t, c, base, database, accountID) })
}

// testUniqueUserName posts one userName 20 times at once through both
// replicas: exactly one create wins, the others get 409 uniqueness.
func testUniqueUserName(t *testing.T, c *client, base func(int) string) {
	const n = 20
	statuses := make([]*response, n)
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			statuses[i], errs[i] = c.do("POST", base(i)+"/Users", userJSON("race@example.com"))
		})
	}
	start.Done()
	wg.Wait()

	created := 0
	for i, r := range statuses {
		switch {
		case errs[i] != nil:
			t.Errorf("request %d: %v", i, errs[i])
		case r.Status == 201:
			created++
		case r.Status != 409 || r.Body["scimType"] != "uniqueness" || !isSCIMError(r.Body, 409):
			t.Errorf("request %d: %d %v, want 201 or 409 uniqueness", i, r.Status, r.Body)
		}
	}
	if created != 1 {
		t.Errorf("%d creates succeeded, want exactly 1", created)
	}
}

// testMembership adds and removes members of one group concurrently
// through both replicas, one member per PATCH, and checks that no change
// was lost: first 30 adds, then 15 removes racing 15 other adds.
func testMembership(t *testing.T, c *client, base func(int) string) {
	ids := make([]string, 45)
	for i := range ids {
		r := c.must(t, 201, "POST", base(i)+"/Users", userJSON(fmt.Sprintf("m%d@example.com", i)))
		ids[i] = r.Body["id"].(string)
	}
	g := c.must(t, 201, "POST", base(0)+"/Groups",
		fmt.Sprintf(`{"schemas":[%q],"displayName":"Racers"}`, groupSchema))
	group := "/Groups/" + g.Body["id"].(string)

	patch := func(ops map[string]string) {
		var wg sync.WaitGroup
		i := 0
		for id, op := range ops {
			i++
			via := base(i)
			wg.Go(func() {
				r, err := c.do("PATCH", via+group, memberPatch(op, id))
				if err != nil || r.Status != 204 {
					t.Errorf("PATCH %s %s: %v %v", op, id, err, r)
				}
			})
		}
		wg.Wait()
	}
	first := map[string]string{}
	for _, id := range ids[:30] {
		first[id] = "add"
	}
	patch(first)
	second := map[string]string{}
	for i, id := range ids[15:] {
		second[id] = "add"
		if i < 15 {
			second[ids[i]] = "remove"
		}
	}
	patch(second)

	want := slices.Clone(ids[15:])
	slices.Sort(want)
	for i := range 2 {
		r := c.must(t, 200, "GET", base(i)+group, "")
		var got []string
		members, _ := r.Body["members"].([]any)
		for _, m := range members {
			got = append(got, m.(map[string]any)["value"].(string))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("members read through replica %d: %d, want %d:\n got  %v\n want %v",
				i, len(got), len(want), got, want)
		}
	}
}

// testIfMatch sends two updates with the same If-Match through the two
// replicas at once, ten times: each time one wins and the other gets 412.
func testIfMatch(t *testing.T, c *client, base func(int) string) {
	u := c.must(t, 201, "POST", base(0)+"/Users", userJSON("etag@example.com"))
	path := "/Users/" + u.Body["id"].(string)
	etag := u.Header.Get("ETag")
	for round := range 10 {
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() {
				body := fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"replace",
					"path":"displayName","value":"round %d by %d"}]}`, patchSchema, round, i)
				r, err := c.do("PATCH", base(i)+path, body, "If-Match", etag)
				if err != nil {
					t.Errorf("round %d: %v", round, err)
					return
				}
				statuses[i] = r.Status
				if r.Status == 412 && !isSCIMError(r.Body, 412) {
					t.Errorf("round %d: 412 without a SCIM error: %v", round, r.Body)
				}
			})
		}
		wg.Wait()
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{200, 412}) {
			t.Fatalf("round %d with If-Match %s: statuses %v, want one 200 and one 412",
				round, etag, statuses)
		}
		etag = c.must(t, 200, "GET", base(round)+path, "").Header.Get("ETag")
	}
	if etag != `W/"11"` {
		t.Errorf("ETag after ten rounds = %s, want W/\"11\"", etag)
	}
}

// testTokens creates a token in another process (the command line) and
// uses it on both replicas at once; a revoked token is refused by both on
// their very next request. Tokens are read from the database on every
// request, so the bound is one request: no replica caches them.
func testTokens(t *testing.T, database string, base func(int) string) {
	secret := cli(t, database, "token", "create", "--account", "acme", "--label", "fresh")
	c := newClient(secret)
	for i := range 2 {
		c.must(t, 200, "GET", base(i)+"/Users?count=1", "")
	}
	var id string
	for _, line := range strings.Split(cli(t, database, "token", "list", "--account", "acme"),
		"\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "fresh" {
			id = f[0]
		}
	}
	cli(t, database, "token", "revoke", id)
	for i := range 2 {
		r := c.must(t, 401, "GET", base(i)+"/Users?count=1", "")
		if !isSCIMError(r.Body, 401) || !strings.Contains(r.Body["detail"].(string), "revoked") {
			t.Errorf("replica %d after revoke: %v", i, r.Body)
		}
	}
}

// testEventCursor follows the account's events by cursor, as the change
// feed does, while both replicas write: every position arrives once, in
// order and without a gap, including events that committed late.
func testEventCursor(t *testing.T, c *client, base func(int) string, database,
	accountID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := sqlstore.Open(ctx, sqlstore.Config{URL: database, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Writers: 8 goroutines, 15 users each, alternating replicas.
	var writers sync.WaitGroup
	created := make(chan string, 200)
	for w := range 8 {
		writers.Go(func() {
			for i := range 15 {
				r, err := c.do("POST", base(w+i)+"/Users",
					userJSON(fmt.Sprintf("feed-%d-%d@example.com", w, i)))
				if err != nil || r.Status != 201 {
					t.Errorf("writer %d: %v %v", w, err, r)
					return
				}
				created <- r.Body["id"].(string)
			}
		})
	}
	writing := make(chan struct{})
	go func() { writers.Wait(); close(writing) }()

	// Reader: small pages, so that it runs beside the writers.
	var after int64
	seen := map[string]bool{}
	userCreated := map[string]int{}
	follow := func() int {
		events, err := db.Events(ctx, accountID, after, 7)
		if err != nil {
			t.Fatalf("events after %d: %v", after, err)
		}
		for _, e := range events {
			if e.Position != after+1 {
				t.Fatalf("event %s at position %d after %d: skipped or repeated",
					e.ID, e.Position, after)
			}
			if seen[e.ID] {
				t.Fatalf("event %s read twice", e.ID)
			}
			seen[e.ID], after = true, e.Position
			if e.Type == directory.EventUserCreated {
				userCreated[e.ResourceID]++
			}
		}
		return len(events)
	}
	reads := 0
	for done := false; !done; reads++ {
		select {
		case <-writing:
			done = true
		default:
		}
		if follow() == 0 && !done {
			time.Sleep(2 * time.Millisecond)
		}
	}
	for follow() > 0 {
	}

	close(created)
	n := 0
	for id := range created {
		n++
		if userCreated[id] != 1 {
			t.Errorf("user %s: %d user.created events, want 1", id, userCreated[id])
		}
	}
	all, err := db.Events(ctx, accountID, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(seen) || int64(len(all)) != after {
		t.Errorf("followed %d events to position %d; the outbox holds %d", len(seen), after,
			len(all))
	}
	t.Logf("followed %d events (%d by the racing writers) in %d reads", len(seen), n, reads)
}
