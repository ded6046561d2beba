package replicatest

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	// The pgx stdlib adapter registers the "pgx" database/sql driver.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// phases of one round of the outage test. Rounds number their phases on
// from the last round's (see TestPostgresOutage), so that a request sent
// and answered within one round's phaseDown met a database that was down
// the whole time.
const (
	phaseUp = iota
	phaseStopping
	phaseDown
	phaseStarting
	phaseBack
	phases // phases in a round
)

// stopModes are the rounds of the outage test: how pg_ctl stops the
// database in each. "immediate" is a crash: a COMMIT in flight may be
// durable without its acknowledgement, which scimd must then settle by
// asking the database once it is back.
var stopModes = []string{"fast", "immediate"}

// attempt is one POST /Users of the load and what came of it.
type attempt struct {
	userName string
	sent     int32 // the phase when it was sent
	answered int32 // the phase when it was answered
	status   int   // 0 when the request got no response
	err      error // a transport error: the outcome is unknown
}

// TestPostgresOutage stops PostgreSQL under a steady load of creates and
// starts it again, once cleanly and once as a crash. scimd must answer 503
// with Retry-After and a SCIM error meanwhile, stay up, recover by itself,
// report every create that committed as 201 and none that did not.
func TestPostgresOutage(t *testing.T) {
	pg := newCluster(t)
	r := startReplica(t, "replica", pg.URL())
	cli(t, pg.URL(), "account", "create", "acme")
	c := newClient(cli(t, pg.URL(), "token", "create", "--account", "acme"))

	// The load: four clients, each creating one user after another.
	var phase atomic.Int32
	var mu sync.Mutex
	var attempts []attempt
	var created atomic.Int32
	createdSince := func() int32 { return created.Load() }
	ctx, stop := context.WithCancel(context.Background())
	var load sync.WaitGroup
	for g := range 4 {
		load.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				a := attempt{userName: fmt.Sprintf("load-%d-%d@example.com", g, i),
					sent: phase.Load()}
				resp, err := c.do("POST", r.URL+"/scim/v2/Users", userJSON(a.userName))
				a.answered, a.err = phase.Load(), err
				if resp != nil {
					a.status = resp.Status
					checkUnavailable(t, a, resp)
				}
				if a.status == http.StatusCreated {
					created.Add(1)
				}
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	defer func() { stop(); load.Wait() }()

	waitFor(t, 30*time.Second, "20 creates before the outage", func() bool {
		return createdSince() >= 20
	})

	for round, mode := range stopModes {
		at := func(p int) int32 { return int32(round*phases + p) }
		phase.Store(at(phaseStopping))
		pg.stop(t, mode)
		phase.Store(at(phaseDown))
		time.Sleep(3 * time.Second)
		if !r.alive() {
			t.Fatalf("scimd exited while the database was down (%s stop)", mode)
		}
		resp, err := http.Get(r.URL + "/healthz")
		if err != nil {
			t.Fatalf("/healthz during the outage (%s stop): %v", mode, err)
		}
		resp.Body.Close()

		phase.Store(at(phaseStarting))
		pg.start(t)
		phase.Store(at(phaseBack))
		before := createdSince()
		waitFor(t, 60*time.Second, "creates to succeed again after the "+mode+" stop",
			func() bool { return createdSince() >= before+20 })
	}
	stop()
	load.Wait()

	// What the clients saw, by the round and phase they sent in.
	count := map[string]int{}
	down := make([]int, len(stopModes))
	for _, a := range attempts {
		round, p := a.sent/phases, a.sent%phases
		key := fmt.Sprintf("round %d phase %d status %d", round, p, a.status)
		switch {
		case a.err != nil:
			key = fmt.Sprintf("round %d phase %d transport error", round, p)
			t.Errorf("%s: transport error: %v", a.userName, a.err)
		case a.status != http.StatusCreated && a.status != http.StatusServiceUnavailable:
			t.Errorf("%s: status %d, want 201 or 503", a.userName, a.status)
		case p == phaseDown && a.answered == a.sent:
			down[round]++
			if a.status != http.StatusServiceUnavailable {
				t.Errorf("%s: %d while the database was down", a.userName, a.status)
			}
		}
		count[key]++
	}
	t.Logf("outcomes: %v", count)
	for round, n := range down {
		if n < 100 {
			t.Errorf("%s stop: only %d requests while the database was down",
				stopModes[round], n)
		}
	}

	// What the database kept: every 201, and nothing else but requests whose
	// outcome the client could not know (a transport error, which this test
	// reports as a failure anyway).
	stored := storedUserNames(t, pg.URL())
	for _, a := range attempts {
		switch {
		case a.status == http.StatusCreated && !stored[a.userName]:
			t.Errorf("%s: answered 201 but not in the database", a.userName)
		case a.status != http.StatusCreated && a.err == nil && stored[a.userName]:
			t.Errorf("%s: answered %d but stored", a.userName, a.status)
		}
	}
	if !r.alive() {
		t.Error("scimd exited")
	}
}

// checkUnavailable checks the form of a 503: Retry-After and a SCIM error.
func checkUnavailable(t *testing.T, a attempt, resp *response) {
	if resp.Status != http.StatusServiceUnavailable {
		return
	}
	if resp.Header.Get("Retry-After") == "" || !isSCIMError(resp.Body, 503) {
		t.Errorf("%s: 503 without Retry-After or SCIM error: %v %v", a.userName,
			resp.Header, resp.Body)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func storedUserNames(t *testing.T, url string) map[string]bool {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT user_name FROM users`)
	if err != nil {
		t.Fatalf("read users: %v", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		rows.Scan(&name)
		out[name] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
