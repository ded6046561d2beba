-- Whether an endpoint may reach non-public addresses (loopback, private,
-- link-local) when scimd runs with --webhook-allow-private. Operators'
-- endpoints may; account admins' never do, so that a customer cannot aim
-- scimd at the vendor's own network by re-pointing a name after its URL was
-- checked. Every endpoint made before this migration was made through the
-- operators' management API.

-- +goose Up
ALTER TABLE webhook_endpoints ADD COLUMN allow_private INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE webhook_endpoints DROP COLUMN allow_private;
