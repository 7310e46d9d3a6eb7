-- Out-of-band codes (package oob): the schema of
-- migrations/sqlite/0007_oob.sql in PostgreSQL's types.
--
-- A code is never stored: mac is an HMAC-SHA256, under a key derived from
-- the master key, of the code bound to its user, token and challenge. One
-- row per token: a resend replaces it, and deleting the token deletes it.
CREATE TABLE oob_codes (
	token_id  TEXT COLLATE "C" NOT NULL,
	user_name TEXT COLLATE "C" NOT NULL,
	mac       BYTEA  NOT NULL,
	sent      BIGINT NOT NULL,
	expires   BIGINT NOT NULL,
	CONSTRAINT oob_codes_pkey PRIMARY KEY (token_id),
	CONSTRAINT oob_codes_token_fkey FOREIGN KEY (token_id) REFERENCES tokens (id) ON DELETE CASCADE
);

CREATE INDEX oob_codes_by_expiry ON oob_codes (expires);

-- One row per limited subject ("user:alice", "source:192.0.2.7"): the times
-- of its sends within the limit's window, as big-endian int64 Unix
-- nanoseconds, and the latest of them, by which idle rows are purged.
CREATE TABLE oob_sends (
	subject TEXT COLLATE "C" NOT NULL,
	last    BIGINT NOT NULL,
	times   BYTEA  NOT NULL,
	CONSTRAINT oob_sends_pkey PRIMARY KEY (subject)
);

CREATE INDEX oob_sends_by_last ON oob_sends (last);
