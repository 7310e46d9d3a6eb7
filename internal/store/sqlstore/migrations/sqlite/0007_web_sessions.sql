-- The sessions and invitations of the self-service portal and admin
-- console (package web/portal), shared by every node of a site.
--
-- id is the SHA-256 hash of the cookie's or the link's secret: the store
-- never holds what a browser presents. No foreign key to users: a user
-- signs in with a password before any token (or user row) exists.
CREATE TABLE web_sessions (
	id        BLOB    NOT NULL PRIMARY KEY,
	user_name TEXT    NOT NULL,
	stage     TEXT    NOT NULL,
	data      BLOB    NOT NULL,
	created   INTEGER NOT NULL,
	seen      INTEGER NOT NULL,
	expires   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX web_sessions_by_user ON web_sessions (user_name);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires);

CREATE TABLE web_invites (
	id         BLOB    NOT NULL PRIMARY KEY,
	user_name  TEXT    NOT NULL,
	created_by TEXT    NOT NULL,
	created    INTEGER NOT NULL,
	expires    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX web_invites_by_expiry ON web_invites (expires);
