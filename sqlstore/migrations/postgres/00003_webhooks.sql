-- Operator API keys, webhook endpoints, their delivery streams (cursor,
-- retry state and lease per endpoint and account) and the attempts log.

-- +goose Up
CREATE TABLE api_keys (
    id         text PRIMARY KEY,
    label      text NOT NULL,
    prefix     text NOT NULL,
    hash       bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE webhook_endpoints (
    id            text PRIMARY KEY,
    -- NULL sends the events of every account.
    account_id    text REFERENCES accounts (id) ON DELETE CASCADE,
    url           text NOT NULL,
    secret        text NOT NULL,
    event_types   jsonb NOT NULL, -- array; empty takes every type
    enabled       boolean NOT NULL,
    failing_since timestamptz,
    created_at    timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id);

-- One row per endpoint and account: the last position delivered, the
-- retry state of the next event and the lease that keeps two replicas off
-- the same stream. lease_until stays after a release and orders the
-- streams that are due, the least recently worked first.
CREATE TABLE webhook_streams (
    endpoint_id   text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position      bigint NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    first_failure timestamptz,
    retry_at      timestamptz,
    lease_owner   text,
    lease_until   timestamptz,
    PRIMARY KEY (endpoint_id, account_id)
);
CREATE INDEX webhook_streams_account ON webhook_streams (account_id);

CREATE TABLE webhook_deliveries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id  text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- NULL for a test event of an endpoint of every account.
    account_id   text REFERENCES accounts (id) ON DELETE CASCADE,
    event_id     text NOT NULL,
    position     bigint NOT NULL,
    attempt      integer NOT NULL,
    status_code  integer NOT NULL,
    error        text NOT NULL,
    latency_us   bigint NOT NULL,
    time         timestamptz NOT NULL,
    next_attempt timestamptz
);
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
