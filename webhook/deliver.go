package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scimd/scimd/directory"
)

// UserAgent is sent with every delivery.
const UserAgent = "scimd-webhook/1"

// maxBatchesPerLease bounds the batches one lease delivers.
const maxBatchesPerLease = 10

// maxErrorBody bounds how much of a failed response is kept in the
// attempts log.
const maxErrorBody = 512

// work delivers a leased stream's events in order until it runs out of
// events, an attempt fails, the lease is lost or ctx ends. It always gives
// the lease up before it returns.
func (d *Dispatcher) work(ctx context.Context, ep *directory.Endpoint, s *directory.Stream) {
	st := d.cfg.Store
	log := d.log.With("endpoint_id", ep.ID, "account_id", s.AccountID)
	key, err := directory.WebhookSecretKey(ep.Secret)
	if err != nil {
		log.Error("endpoint has an unusable secret", "error", err)
		d.release(s)
		return
	}

	// A stream that keeps getting events gives its worker up after a few
	// batches, so that other streams get a turn when workers are scarce.
	for range maxBatchesPerLease {
		if ctx.Err() != nil {
			break
		}
		events, err := st.Events(ctx, s.AccountID, s.Position, d.cfg.Batch)
		if gap, ok := errors.AsType[*directory.CursorExpiredError](err); ok {
			err := d.skip(ctx, ep, s, gap.PrunedThrough)
			if errors.Is(err, directory.ErrLeaseLost) {
				log.Info("stream lease lost", "position", s.Position)
				return
			}
			if err != nil {
				log.Warn("skip pruned events", "error", err)
				break
			}
			continue
		}
		if err != nil {
			log.Warn("read events", "error", err)
			break
		}
		if len(events) == 0 {
			break
		}
		done, err := d.deliverBatch(ctx, ep, key, s, events)
		if errors.Is(err, directory.ErrLeaseLost) {
			log.Info("stream lease lost", "position", s.Position)
			return
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("deliver events", "error", err)
			}
			break
		}
		if !done {
			return // a failed attempt scheduled a retry and ended the lease
		}
	}
	d.release(s)
}

// deliverBatch delivers events in order. It reports false when an attempt
// failed: the retry is then recorded and the lease ended.
func (d *Dispatcher) deliverBatch(ctx context.Context, ep *directory.Endpoint, key []byte,
	s *directory.Stream, events []*directory.Event) (bool, error) {
	st := d.cfg.Store
	skipped := s.Position
	for _, ev := range events {
		if !ep.Wants(ev.Type) {
			skipped = ev.Position
			continue
		}
		body, err := json.Marshal(directory.NewEventPayload(ev))
		if err != nil {
			return false, fmt.Errorf("encode event %q: %w", ev.ID, err)
		}
		del := d.attempt(ctx, ep, key, ev.ID, body)
		if ctx.Err() != nil {
			// Stopping cut the attempt short: it says nothing about the
			// endpoint, so it is neither logged nor counted.
			return false, ctx.Err()
		}
		del.AccountID, del.Position, del.Attempt = s.AccountID, ev.Position, s.Attempts+1

		if !del.OK() {
			s.Position = skipped
			return false, d.retry(ctx, ep, s, del)
		}
		if err := st.RecordDelivery(ctx, del); err != nil {
			d.log.Warn("record delivery", "endpoint_id", ep.ID, "error", err)
		}
		now := d.cfg.Now()
		if err := st.AdvanceStream(ctx, s, ev.Position, now.Add(d.cfg.Lease)); err != nil {
			return false, fmt.Errorf("advance stream to %d: %w", ev.Position, err)
		}
		skipped = ev.Position
		if ep.FailingSince != nil {
			d.setFailing(ctx, ep, nil)
		}
	}
	if skipped > s.Position {
		if err := st.AdvanceStream(ctx, s, skipped, d.cfg.Now().Add(d.cfg.Lease)); err != nil {
			return false, fmt.Errorf("skip stream to %d: %w", skipped, err)
		}
	}
	return true, nil
}

// skip moves s past events that the retention deleted before they were
// delivered, the endpoint having failed or been disabled for that long.
// The receiver has missed changes that it can recover only by reading the
// account's users and groups again, so the gap is recorded where people
// look: on the stream (SkippedThrough, until the stream is reset), in the
// delivery log and in the process log.
func (d *Dispatcher) skip(ctx context.Context, ep *directory.Endpoint, s *directory.Stream,
	through int64) error {
	now, from := d.cfg.Now(), s.Position+1
	if err := d.cfg.Store.SkipStream(ctx, s, through, now, now.Add(d.cfg.Lease)); err != nil {
		return fmt.Errorf("skip stream to %d: %w", through, err)
	}

	del := &directory.Delivery{EndpointID: ep.ID, AccountID: s.AccountID, Position: through,
		Time: now, Error: fmt.Sprintf("events at positions %d to %d were deleted by the "+
			"retention before they were delivered and are skipped: resynchronise the "+
			"account from its users and groups", from, through)}
	if err := d.cfg.Store.RecordDelivery(ctx, del); err != nil {
		d.log.Warn("record delivery", "endpoint_id", ep.ID, "error", err)
	}
	d.log.Warn("webhook events skipped: deleted by the retention before delivery",
		"endpoint_id", ep.ID, "account_id", s.AccountID, "from", from, "through", through)
	return nil
}

// retry records a failed attempt, schedules the next one and marks the
// endpoint failing once the head event has failed for FailingAfter.
func (d *Dispatcher) retry(ctx context.Context, ep *directory.Endpoint, s *directory.Stream,
	del *directory.Delivery) error {
	now := del.Time
	s.Attempts++
	if s.FirstFailure == nil {
		s.FirstFailure = &now
	}
	next := now.Add(d.cfg.Jitter(Bound(d.cfg.Schedule, s.Attempts)))
	s.RetryAt, del.NextAttempt = &next, &next

	if err := d.cfg.Store.RecordDelivery(ctx, del); err != nil {
		d.log.Warn("record delivery", "endpoint_id", ep.ID, "error", err)
	}
	d.log.Info("webhook attempt failed", "endpoint_id", ep.ID, "account_id", s.AccountID,
		"position", del.Position, "attempt", del.Attempt, "status", del.StatusCode,
		"error", del.Error, "next_attempt", next)
	if ep.FailingSince == nil && now.Sub(*s.FirstFailure) >= d.cfg.FailingAfter {
		d.setFailing(ctx, ep, &now)
	}
	if err := d.cfg.Store.RetryStream(ctx, s); err != nil {
		return fmt.Errorf("schedule retry: %w", err)
	}
	return nil
}

func (d *Dispatcher) setFailing(ctx context.Context, ep *directory.Endpoint, since *time.Time) {
	if err := d.cfg.Store.SetEndpointFailing(ctx, ep.ID, since); err != nil {
		d.log.Warn("mark endpoint", "endpoint_id", ep.ID, "error", err)
		return
	}
	ep.FailingSince = since
	if since != nil {
		d.log.Warn("webhook endpoint failing", "endpoint_id", ep.ID, "url", ep.URL)
	} else {
		d.log.Info("webhook endpoint recovered", "endpoint_id", ep.ID, "url", ep.URL)
	}
}

// release ends the lease with a context of its own, so that it happens
// when the dispatcher is stopping too.
func (d *Dispatcher) release(s *directory.Stream) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.cfg.Store.ReleaseStream(ctx, s); err != nil {
		d.log.Warn("release stream", "endpoint_id", s.EndpointID, "error", err)
	}
}

// attempt posts one signed message and returns the attempt, without its
// account, position and attempt number.
func (d *Dispatcher) attempt(ctx context.Context, ep *directory.Endpoint, key []byte,
	id string, body []byte) *directory.Delivery {
	start := d.cfg.Now()
	del := &directory.Delivery{EndpointID: ep.ID, EventID: id, Time: start}
	client := d.public
	if ep.AllowPrivate {
		client = d.private
	}
	err := d.post(ctx, client, ep.URL, key, id, start, body, del)
	del.Latency = d.cfg.Now().Sub(start)
	if err != nil {
		del.Error = err.Error()
	}
	return del
}

func (d *Dispatcher) post(ctx context.Context, client *http.Client, target string,
	key []byte, id string, ts time.Time, body []byte, del *directory.Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", withoutURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	SetHeaders(req.Header, key, id, ts, body)

	resp, err := client.Do(req)
	if err != nil {
		return withoutURL(err)
	}
	defer resp.Body.Close()
	del.StatusCode = resp.StatusCode
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // lets the connection be reused
	if del.OK() {
		return nil
	}
	// The receiver's bytes become text in the attempts log: PostgreSQL
	// refuses NUL and invalid UTF-8 in text, which would lose the record.
	msg := strings.ReplaceAll(strings.ToValidUTF8(string(snippet), "\uFFFD"), "\x00", "")
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return fmt.Errorf("endpoint answered %s", resp.Status)
	}
	return fmt.Errorf("endpoint answered %s: %s", resp.Status, msg)
}

// withoutURL returns the cause of a *url.Error, whose text starts with the
// whole URL: its path or query may hold the receiver's own key, and the
// attempts log reaches people who may not see that (account admins, for a
// global endpoint). Other errors are returned as they are.
func withoutURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// SendTest delivers a "webhook.test" event to ep at once, outside any
// stream, records the attempt and returns it. A failed attempt is not an
// error: it is reported in the Delivery. The error is for an endpoint whose
// secret is unusable or an attempt that could not be recorded.
func (d *Dispatcher) SendTest(ctx context.Context,
	ep *directory.Endpoint) (*directory.Delivery, error) {
	key, err := directory.WebhookSecretKey(ep.Secret)
	if err != nil {
		return nil, fmt.Errorf("send test to endpoint %q: %w", ep.ID, err)
	}
	data, _ := json.Marshal(map[string]string{"message": "a test event from scimd"})
	payload := directory.NewEventPayload(&directory.Event{
		ID: uuid.NewString(), AccountID: ep.AccountID, Type: directory.EventWebhookTest,
		Time: d.cfg.Now(), Client: "scimd", Data: data,
	})
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode test event: %w", err)
	}

	del := d.attempt(ctx, ep, key, payload.ID, body)
	del.AccountID, del.Attempt = ep.AccountID, 1
	if err := d.cfg.Store.RecordDelivery(ctx, del); err != nil {
		return del, fmt.Errorf("record test delivery: %w", err)
	}
	return del, nil
}
