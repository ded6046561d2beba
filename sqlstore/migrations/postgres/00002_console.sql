-- The admin console's users, sessions, setup tokens and sign-in throttling,
-- and the provisioning activity log.

-- +goose Up
-- account_id NULL marks an operator, who sees every account.
CREATE TABLE console_users (
    id             text PRIMARY KEY,
    email          text NOT NULL UNIQUE,
    account_id     text REFERENCES accounts (id) ON DELETE CASCADE,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL,
    last_sign_in   timestamptz
);
CREATE INDEX console_users_account ON console_users (account_id, email);

-- id is the SHA-256 of the cookie secret, in hex; the secret is not stored.
CREATE TABLE console_sessions (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

CREATE TABLE console_setup_tokens (
    id         text PRIMARY KEY,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Failed sign-ins per key ("email:..." or "addr:...").
CREATE TABLE console_signin_failures (
    key          text PRIMARY KEY,
    failures     integer NOT NULL,
    last_failure timestamptz NOT NULL
);

CREATE TABLE activity (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    time        timestamptz NOT NULL,
    client      text NOT NULL,
    method      text NOT NULL,
    path        text NOT NULL,
    status      integer NOT NULL,
    scim_type   text NOT NULL,
    latency_ms  bigint NOT NULL,
    detail      text NOT NULL,
    request_id  text NOT NULL,
    token_id    text NOT NULL,
    addr        text NOT NULL
);
CREATE INDEX activity_account ON activity (account_id, id);
-- Failures are few; a partial index finds them without scanning successes.
CREATE INDEX activity_account_failed ON activity (account_id, id) WHERE status >= 400;
CREATE INDEX activity_time ON activity (time);

-- A resource's recent changes, for the console's user and group pages.
CREATE INDEX events_resource ON events (account_id, resource_id, position);

-- +goose Down
DROP INDEX events_resource;
DROP TABLE activity;
DROP TABLE console_signin_failures;
DROP TABLE console_setup_tokens;
DROP TABLE console_sessions;
DROP TABLE console_users;
