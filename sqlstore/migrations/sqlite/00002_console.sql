-- The admin console's users, sessions, setup tokens and sign-in throttling,
-- and the provisioning activity log. Times are TEXT as in 00001_core.sql.

-- +goose Up
-- account_id NULL marks an operator, who sees every account.
CREATE TABLE console_users (
    id             TEXT NOT NULL PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    account_id     TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    last_sign_in   TEXT
) STRICT;
CREATE INDEX console_users_account ON console_users (account_id, email);

-- id is the SHA-256 of the cookie secret, in hex; the secret is not stored.
CREATE TABLE console_sessions (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

CREATE TABLE console_setup_tokens (
    id         TEXT NOT NULL PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

-- Failed sign-ins per key ("email:..." or "addr:...").
CREATE TABLE console_signin_failures (
    key          TEXT NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_failure TEXT NOT NULL
) STRICT;

CREATE TABLE activity (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    time        TEXT NOT NULL,
    client      TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      INTEGER NOT NULL,
    scim_type   TEXT NOT NULL,
    latency_ms  INTEGER NOT NULL,
    detail      TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    token_id    TEXT NOT NULL,
    addr        TEXT NOT NULL
) STRICT;
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
