-- Accounts, tokens, users, groups, memberships and the event outbox.

-- +goose Up
CREATE TABLE accounts (
    id         text PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    -- The last event position handed out; see Tx.Append.
    event_seq  bigint NOT NULL DEFAULT 0
);

CREATE TABLE tokens (
    id             text PRIMARY KEY,
    account_id     text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label          text NOT NULL,
    prefix         text NOT NULL,
    hash           bytea NOT NULL UNIQUE,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz,
    revoked_at     timestamptz,
    last_used_at   timestamptz,
    last_used_addr text NOT NULL DEFAULT ''
);
CREATE INDEX tokens_account ON tokens (account_id, created_at);

CREATE TABLE users (
    account_id     text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id             text NOT NULL,
    user_name      text NOT NULL,
    user_name_fold text NOT NULL,
    external_id    text,
    email          text,
    email_fold     text,
    display_name   text,
    active         boolean NOT NULL,
    version        bigint NOT NULL,
    created        timestamptz NOT NULL,
    modified       timestamptz NOT NULL,
    doc            jsonb NOT NULL,
    PRIMARY KEY (account_id, id)
);
-- text_pattern_ops would serve LIKE prefixes under a non-C collation; the
-- plain indexes serve eq, ranges and sorting, which is what clients send.
CREATE UNIQUE INDEX users_user_name ON users (account_id, user_name_fold);
CREATE INDEX users_external_id ON users (account_id, external_id);
CREATE INDEX users_email ON users (account_id, email_fold);
CREATE INDEX users_created ON users (account_id, created, id);
CREATE INDEX users_modified ON users (account_id, modified);

-- Every email value of every user, folded, so that emails.value eq finds a
-- user by any of its addresses through an index.
CREATE TABLE user_emails (
    account_id text NOT NULL,
    user_id    text NOT NULL,
    value_fold text NOT NULL,
    PRIMARY KEY (account_id, value_fold, user_id),
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
CREATE INDEX user_emails_user ON user_emails (account_id, user_id);

CREATE TABLE groups (
    account_id        text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id                text NOT NULL,
    display_name      text NOT NULL,
    display_name_fold text NOT NULL,
    external_id       text,
    version           bigint NOT NULL,
    created           timestamptz NOT NULL,
    modified          timestamptz NOT NULL,
    doc               jsonb NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX groups_display_name ON groups (account_id, display_name_fold);
CREATE INDEX groups_external_id ON groups (account_id, external_id);
CREATE INDEX groups_created ON groups (account_id, created, id);
CREATE INDEX groups_modified ON groups (account_id, modified);

-- One row per membership: adding or removing a member touches one row
-- whatever the group's size. A member is a user or a group; only the group
-- side can be a foreign key, so deletes of members clean up explicitly.
CREATE TABLE memberships (
    account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    group_id    text NOT NULL,
    member_id   text NOT NULL,
    member_type text NOT NULL CHECK (member_type IN ('User', 'Group')),
    PRIMARY KEY (account_id, group_id, member_id),
    FOREIGN KEY (account_id, group_id) REFERENCES groups (account_id, id) ON DELETE CASCADE
);
CREATE INDEX memberships_member ON memberships (account_id, member_id);

-- The outbox. Positions grow in commit order within an account.
CREATE TABLE events (
    account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position      bigint NOT NULL,
    id            text NOT NULL UNIQUE,
    type          text NOT NULL,
    time          timestamptz NOT NULL,
    client        text NOT NULL,
    resource_type text NOT NULL,
    resource_id   text NOT NULL,
    version       bigint NOT NULL,
    changed       jsonb,
    -- json, not jsonb: the outbox hands out the bytes the service wrote.
    data          json,
    PRIMARY KEY (account_id, position)
);

-- scimd_timestamp reads a dateTime attribute of a JSON document for a filter
-- comparison: NULL when the text is no timestamp, where a cast would abort
-- the query.
-- +goose StatementBegin
CREATE FUNCTION scimd_timestamp(v text) RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN v::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION scimd_timestamp(text);
DROP TABLE events;
DROP TABLE memberships;
DROP TABLE groups;
DROP TABLE user_emails;
DROP TABLE users;
DROP TABLE tokens;
DROP TABLE accounts;
