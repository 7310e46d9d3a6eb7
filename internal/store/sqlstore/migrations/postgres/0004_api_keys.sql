-- API keys of the HTTP front end: the schema of
-- migrations/sqlite/0006_api_keys.sql in PostgreSQL's types.
--
-- secret is the SHA-256 hash of a bearer key, or the sealed HMAC key of a
-- Yubico validation client. A revoked key keeps its row (revoked is set), so
-- that its id is never given out again and the audit trail still names it.
CREATE TABLE api_keys (
	id      TEXT COLLATE "C" NOT NULL,
	kind    TEXT   NOT NULL,
	scope   TEXT   NOT NULL,
	name    TEXT   NOT NULL,
	secret  BYTEA  NOT NULL,
	created BIGINT NOT NULL,
	revoked BIGINT,
	CONSTRAINT api_keys_pkey PRIMARY KEY (id)
);
