package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/directory"
	"github.com/scimd/scimd/sqlstore"
	"github.com/scimd/scimd/sqlstore/sqlstoretest"
)

// TestAccountDeliveries reads one account's entries of a global endpoint's
// log, which another account's entries crowd, page by page and failures
// only, through the index on endpoint, account and id.
func TestAccountDeliveries(t *testing.T) {
	sqlstoretest.ForEach(t, func(t *testing.T, open func(testing.TB) *sqlstore.DB) {
		db, ctx := open(t), context.Background()
		now := time.Now()
		a, busy := mustAccount(t, db, "a"), mustAccount(t, db, "busy")
		global := mustEndpoint(t, db, "", now)
		other := mustEndpoint(t, db, "", now)
		record := func(ep, account string, position int64, attempt, status int) int64 {
			d := &directory.Delivery{EndpointID: ep, AccountID: account,
				EventID: fmt.Sprint("ev", position), Position: position, Attempt: attempt,
				StatusCode: status, Time: now}
			if err := db.RecordDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
			return d.ID
		}

		// a's 6 entries: successes, a failure, a skip record (attempt 0)
		// and, oldest, one on the other endpoint; busy's 100 around them.
		var ids []int64
		record(other.ID, a.ID, 1, 1, 200)
		for i, status := range []int{200, 500, 204, 0, 200} {
			for j := range 20 {
				record(global.ID, busy.ID, int64(j), 1, 200)
			}
			attempt := 1
			if status == 0 {
				attempt = 0
			}
			ids = append(ids, record(global.ID, a.ID, int64(i+2), attempt, status))
		}
		record(global.ID, "", 0, 1, 200) // a test event of the global endpoint

		q := directory.DeliveryQuery{EndpointID: global.ID, AccountID: a.ID}
		for _, tt := range []struct {
			name       string
			before     int64
			limit      int
			failedOnly bool
			want       []int64
		}{
			{"newest", 0, 3, false, []int64{ids[4], ids[3], ids[2]}},
			{"next-page", ids[2], 3, false, []int64{ids[1], ids[0]}},
			{"failures", 0, 10, true, []int64{ids[3], ids[1]}},
			{"failures-before", ids[3], 10, true, []int64{ids[1]}},
		} {
			q.Before, q.Limit, q.FailedOnly = tt.before, tt.limit, tt.failedOnly
			got, err := db.AccountDeliveries(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var gotIDs []int64
			for _, d := range got {
				if d.AccountID != a.ID || d.EndpointID != global.ID {
					t.Errorf("%s: entry %+v is not a's at the global endpoint", tt.name, d)
				}
				gotIDs = append(gotIDs, d.ID)
			}
			if fmt.Sprint(gotIDs) != fmt.Sprint(tt.want) {
				t.Errorf("%s: got ids %v, want %v", tt.name, gotIDs, tt.want)
			}
		}
		if skip, _ := db.AccountDeliveries(ctx, directory.DeliveryQuery{EndpointID: global.ID,
			AccountID: a.ID, Before: ids[4], Limit: 1}); len(skip) != 1 || !skip[0].Skipped() {
			t.Errorf("the skip record reads back as %+v", skip)
		}
		if _, err := db.AccountDeliveries(ctx, directory.DeliveryQuery{EndpointID: global.ID,
			AccountID: a.ID}); err == nil {
			t.Error("a zero limit was accepted")
		}

		// With a log shared by many accounts, as a global endpoint's is, the
		// plan reads the index in order and stops at the limit.
		var many []string
		for i := range 20 {
			many = append(many, mustAccount(t, db, fmt.Sprint("many", i)).ID)
		}
		for j := range 50 {
			for _, acc := range many {
				record(global.ID, acc, int64(j), 1, 200)
			}
		}
		plan, err := db.ExplainAccountDeliveries(ctx, directory.DeliveryQuery{
			EndpointID: global.ID, AccountID: many[0], Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("plan:\n%s", plan)
		if !strings.Contains(plan, "webhook_deliveries_endpoint_account") {
			t.Errorf("the plan does not use webhook_deliveries_endpoint_account:\n%s", plan)
		}
		if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
			t.Errorf("the plan sorts instead of reading the index in order:\n%s", plan)
		}
	})
}
