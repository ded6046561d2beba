package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/scimd/scimd/directory"
)

// activityPage is how many requests the activity page shows at once.
const activityPage = 50

type activityData struct {
	Entries      []*directory.ActivityEntry
	FailuresOnly bool
	All, Fails   string // links to the unfiltered and failures-only views
	Older        string // the next page's link; "" on the last page
}

// activity shows an account's recent SCIM requests, newest first, with
// failures marked; ?failures=1 shows only those.
func (s *server) activity(w http.ResponseWriter, r *http.Request) error {
	a, err := s.account(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	aq := directory.ActivityQuery{FailuresOnly: q.Get("failures") == "1",
		Limit: activityPage + 1}
	if b := q.Get("before"); b != "" {
		aq.Before, err = strconv.ParseInt(b, 10, 64)
		if err != nil || aq.Before < 1 {
			return badRequest("The page cursor %q is not a positive number.", b)
		}
	}
	entries, err := s.cs.Activity(r.Context(), a.ID, aq)
	if err != nil {
		return fmt.Errorf("read activity of %q: %w", a.ID, err)
	}

	base := accountPath(a.ID, "activity")
	d := activityData{FailuresOnly: aq.FailuresOnly, All: base, Fails: base + "?failures=1"}
	if len(entries) > activityPage {
		entries = entries[:activityPage]
		v := url.Values{"before": {strconv.FormatInt(entries[len(entries)-1].ID, 10)}}
		if aq.FailuresOnly {
			v.Set("failures", "1")
		}
		d.Older = base + "?" + v.Encode()
	}
	d.Entries = entries
	s.render(w, r, http.StatusOK, "activity", &view{Title: "Provisioning activity · " + a.Name,
		Account: a, Section: "activity", Data: d})
	return nil
}
