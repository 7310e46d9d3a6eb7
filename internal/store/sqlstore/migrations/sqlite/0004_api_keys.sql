-- API keys of the HTTP front end (package apikey).
--
-- secret is the SHA-256 hash of a bearer key, or the sealed HMAC key of a
-- Yubico validation client. A revoked key keeps its row (revoked is set), so
-- that its id is never given out again and the audit trail still names it.
CREATE TABLE api_keys (
	id      TEXT    NOT NULL PRIMARY KEY,
	kind    TEXT    NOT NULL,
	scope   TEXT    NOT NULL,
	name    TEXT    NOT NULL,
	secret  BLOB    NOT NULL,
	created INTEGER NOT NULL,
	revoked INTEGER
) STRICT, WITHOUT ROWID;
