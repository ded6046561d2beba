package webhook

import (
	"testing"
	"time"
)

func TestBound(t *testing.T) {
	s := DefaultSchedule
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{0, 5 * time.Second}, {1, 5 * time.Second}, {2, 30 * time.Second}, {3, 2 * time.Minute},
		{4, 10 * time.Minute}, {5, 30 * time.Minute}, {6, time.Hour}, {7, 2 * time.Hour},
		{8, 4 * time.Hour}, {9, 4 * time.Hour}, {1000, 4 * time.Hour},
	}
	for _, tt := range tests {
		if got := Bound(s, tt.attempt); got != tt.want {
			t.Errorf("Bound(%d): got %s, want %s", tt.attempt, got, tt.want)
		}
	}
	if got := Bound(nil, 3); got != 0 {
		t.Errorf("Bound of an empty schedule: got %s, want 0", got)
	}
}

// The schedule keeps retrying past the day that DefaultFailingAfter
// waits, even if every jitter drew its bound: the endpoint is marked
// failing while retries go on.
func TestScheduleCoversTheFailingWindow(t *testing.T) {
	var total time.Duration
	n := 0
	for total < DefaultFailingAfter {
		n++
		total += Bound(DefaultSchedule, n)
		if n > 100 {
			t.Fatal("the schedule does not reach the failing window in 100 attempts")
		}
	}
	// With every wait at its bound the window is crossed after 13 retries
	// (7h43m for the first eight, then 4h each); with full jitter it takes
	// more, never fewer.
	if n != 13 {
		t.Errorf("attempts to cross the window at the bounds: got %d, want 13", n)
	}
}

func TestFullJitter(t *testing.T) {
	for _, bound := range []time.Duration{5 * time.Second, time.Hour} {
		lo, hi := bound, time.Duration(0)
		for range 2000 {
			d := FullJitter(bound)
			if d < minWait || d > bound {
				t.Fatalf("FullJitter(%s) = %s, outside [%s, %s]", bound, d, minWait, bound)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		// Uniform over the range: 2000 draws reach both ends' neighbourhood.
		if lo > max(minWait, bound/10) || hi < bound*9/10 {
			t.Errorf("FullJitter(%s) spread [%s, %s], want most of [0, %s]", bound, lo, hi, bound)
		}
	}
	if d := FullJitter(10 * time.Millisecond); d > 10*time.Millisecond {
		t.Errorf("FullJitter of a bound under a second: got %s", d)
	}
	if d := FullJitter(0); d != 0 {
		t.Errorf("FullJitter(0) = %s", d)
	}
}
