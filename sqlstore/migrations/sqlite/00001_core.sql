-- Accounts, tokens, users, groups, memberships and the event outbox.
-- Times are TEXT in RFC 3339 UTC with six fraction digits (see timeLayout),
-- so text order is time order. JSON documents are TEXT.

-- +goose Up
CREATE TABLE accounts (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    -- The last event position handed out; see Tx.Append.
    event_seq  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE tokens (
    id             TEXT NOT NULL PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label          TEXT NOT NULL,
    prefix         TEXT NOT NULL,
    hash           BLOB NOT NULL UNIQUE,
    created_at     TEXT NOT NULL,
    expires_at     TEXT,
    revoked_at     TEXT,
    last_used_at   TEXT,
    last_used_addr TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX tokens_account ON tokens (account_id, created_at);

CREATE TABLE users (
    account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    user_name      TEXT NOT NULL,
    user_name_fold TEXT NOT NULL,
    external_id    TEXT,
    email          TEXT,
    email_fold     TEXT,
    display_name   TEXT,
    active         INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    created        TEXT NOT NULL,
    modified       TEXT NOT NULL,
    doc            TEXT NOT NULL,
    PRIMARY KEY (account_id, id)
) STRICT;
CREATE UNIQUE INDEX users_user_name ON users (account_id, user_name_fold);
CREATE INDEX users_external_id ON users (account_id, external_id);
CREATE INDEX users_email ON users (account_id, email_fold);
CREATE INDEX users_created ON users (account_id, created, id);
CREATE INDEX users_modified ON users (account_id, modified);

-- Every email value of every user, folded, so that emails.value eq finds a
-- user by any of its addresses through an index.
CREATE TABLE user_emails (
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    value_fold TEXT NOT NULL,
    PRIMARY KEY (account_id, value_fold, user_id),
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX user_emails_user ON user_emails (account_id, user_id);

CREATE TABLE groups (
    account_id        TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id                TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    display_name_fold TEXT NOT NULL,
    external_id       TEXT,
    version           INTEGER NOT NULL,
    created           TEXT NOT NULL,
    modified          TEXT NOT NULL,
    doc               TEXT NOT NULL,
    PRIMARY KEY (account_id, id)
) STRICT;
CREATE INDEX groups_display_name ON groups (account_id, display_name_fold);
CREATE INDEX groups_external_id ON groups (account_id, external_id);
CREATE INDEX groups_created ON groups (account_id, created, id);
CREATE INDEX groups_modified ON groups (account_id, modified);

-- One row per membership: adding or removing a member touches one row
-- whatever the group's size. A member is a user or a group; only the group
-- side can be a foreign key, so deletes of members clean up explicitly.
CREATE TABLE memberships (
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    group_id    TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    member_type TEXT NOT NULL CHECK (member_type IN ('User', 'Group')),
    PRIMARY KEY (account_id, group_id, member_id),
    FOREIGN KEY (account_id, group_id) REFERENCES groups (account_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX memberships_member ON memberships (account_id, member_id);

-- The outbox. Positions grow in commit order within an account.
CREATE TABLE events (
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    id            TEXT NOT NULL UNIQUE,
    type          TEXT NOT NULL,
    time          TEXT NOT NULL,
    client        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    version       INTEGER NOT NULL,
    changed       TEXT,
    data          TEXT,
    PRIMARY KEY (account_id, position)
) STRICT;

-- +goose Down
DROP TABLE events;
DROP TABLE memberships;
DROP TABLE groups;
DROP TABLE user_emails;
DROP TABLE users;
DROP TABLE tokens;
DROP TABLE accounts;
