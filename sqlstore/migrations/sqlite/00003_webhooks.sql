-- Operator API keys, webhook endpoints, their delivery streams (cursor,
-- retry state and lease per endpoint and account) and the attempts log.
-- Times are TEXT as in 00001.

-- +goose Up
CREATE TABLE api_keys (
    id         TEXT NOT NULL PRIMARY KEY,
    label      TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

CREATE TABLE webhook_endpoints (
    id            TEXT NOT NULL PRIMARY KEY,
    -- NULL sends the events of every account.
    account_id    TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    event_types   TEXT NOT NULL, -- JSON array; empty takes every type
    enabled       INTEGER NOT NULL,
    failing_since TEXT,
    created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id);

-- One row per endpoint and account: the last position delivered, the
-- retry state of the next event and the lease that keeps two replicas off
-- the same stream. lease_until stays after a release and orders the
-- streams that are due, the least recently worked first.
CREATE TABLE webhook_streams (
    endpoint_id   TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    first_failure TEXT,
    retry_at      TEXT,
    lease_owner   TEXT,
    lease_until   TEXT,
    PRIMARY KEY (endpoint_id, account_id)
) STRICT;
CREATE INDEX webhook_streams_account ON webhook_streams (account_id);

CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id  TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- NULL for a test event of an endpoint of every account.
    account_id   TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    event_id     TEXT NOT NULL,
    position     INTEGER NOT NULL,
    attempt      INTEGER NOT NULL,
    status_code  INTEGER NOT NULL,
    error        TEXT NOT NULL,
    latency_us   INTEGER NOT NULL,
    time         TEXT NOT NULL,
    next_attempt TEXT
) STRICT;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_account ON webhook_deliveries (account_id);
CREATE INDEX webhook_deliveries_time ON webhook_deliveries (time);

-- Retention deletes the oldest events in small batches.
CREATE INDEX events_time ON events (time);

-- +goose Down
DROP INDEX events_time;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_streams;
DROP TABLE webhook_endpoints;
DROP TABLE api_keys;
