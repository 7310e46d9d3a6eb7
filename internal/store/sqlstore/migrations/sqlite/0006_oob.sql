-- Out-of-band codes (package oob): the code pending for each email or SMS
-- token, and the send counts that limit how often codes are sent.
--
-- A code is never stored: mac is an HMAC-SHA256, under a key derived from
-- the master key, of the code bound to its user, token and challenge. One
-- row per token: a resend replaces it, and deleting the token deletes it.
CREATE TABLE oob_codes (
	token_id  TEXT    NOT NULL PRIMARY KEY REFERENCES tokens (id) ON DELETE CASCADE,
	user_name TEXT    NOT NULL,
	mac       BLOB    NOT NULL,
	sent      INTEGER NOT NULL,
	expires   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX oob_codes_by_expiry ON oob_codes (expires);

-- One row per limited subject ("user:alice", "source:192.0.2.7"): the times
-- of its sends within the limit's window, as big-endian int64 Unix
-- nanoseconds, and the latest of them, by which idle rows are purged.
CREATE TABLE oob_sends (
	subject TEXT    NOT NULL PRIMARY KEY,
	last    INTEGER NOT NULL,
	times   BLOB    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX oob_sends_by_last ON oob_sends (last);
