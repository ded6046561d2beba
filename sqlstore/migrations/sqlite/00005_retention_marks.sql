-- What the retention deleted, so that readers are told instead of silently
-- missing events: per account, the highest event position pruned and the
-- latest time among the pruned events; per webhook stream, the events it
-- moved past because they were gone. And an index that reads one account's
-- entries of an endpoint's delivery log without the other accounts'.

-- +goose Up
ALTER TABLE accounts ADD COLUMN pruned_through INTEGER NOT NULL DEFAULT 0;
-- pruned_time is NULL while nothing is pruned.
ALTER TABLE accounts ADD COLUMN pruned_time TEXT;

-- Events were pruned before this migration without a record. Positions are
-- dense from 1 and only the retention deletes events, so the highest
-- missing position is the highest pruned: the counter itself when the
-- newest events are gone, or else the top of the highest gap. Their times
-- are lost; the time of the migration stands in, which can only make a
-- stream created later for an older endpoint report the gap.
UPDATE accounts SET pruned_through = CASE
    WHEN event_seq > COALESCE((SELECT MAX(e.position) FROM events e
        WHERE e.account_id = accounts.id), 0) THEN event_seq
    ELSE COALESCE((SELECT MAX(e.position) - 1 FROM events e
        WHERE e.account_id = accounts.id AND e.position > 1 AND NOT EXISTS
            (SELECT 1 FROM events p
            WHERE p.account_id = e.account_id AND p.position = e.position - 1)), 0)
    END;
UPDATE accounts SET pruned_time = strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')
    WHERE pruned_through > 0;

ALTER TABLE webhook_streams ADD COLUMN skipped_through INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_streams ADD COLUMN skipped_at TEXT;

CREATE INDEX webhook_deliveries_endpoint_account
    ON webhook_deliveries (endpoint_id, account_id, id);

-- +goose Down
DROP INDEX webhook_deliveries_endpoint_account;
ALTER TABLE webhook_streams DROP COLUMN skipped_at;
ALTER TABLE webhook_streams DROP COLUMN skipped_through;
ALTER TABLE accounts DROP COLUMN pruned_time;
ALTER TABLE accounts DROP COLUMN pruned_through;
