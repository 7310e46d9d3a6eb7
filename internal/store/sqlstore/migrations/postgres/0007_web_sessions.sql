-- The sessions and invitations of the self-service portal and admin
-- console: the schema of migrations/sqlite/0008_web_sessions.sql in
-- PostgreSQL's types.
--
-- id is the SHA-256 hash of the cookie's or the link's secret: the store
-- never holds what a browser presents. No foreign key to users: a user
-- signs in with a password before any token (or user row) exists.
CREATE TABLE web_sessions (
	id        BYTEA  NOT NULL,
	user_name TEXT   NOT NULL,
	stage     TEXT   NOT NULL,
	data      BYTEA  NOT NULL,
	created   BIGINT NOT NULL,
	seen      BIGINT NOT NULL,
	expires   BIGINT NOT NULL,
	CONSTRAINT web_sessions_pkey PRIMARY KEY (id)
);

CREATE INDEX web_sessions_by_user ON web_sessions (user_name);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires);

CREATE TABLE web_invites (
	id         BYTEA  NOT NULL,
	user_name  TEXT   NOT NULL,
	created_by TEXT   NOT NULL,
	created    BIGINT NOT NULL,
	expires    BIGINT NOT NULL,
	CONSTRAINT web_invites_pkey PRIMARY KEY (id)
);

CREATE INDEX web_invites_by_expiry ON web_invites (expires);
