-- Users, their tokens, pending challenges and the audit trail.
--
-- Times are Unix nanoseconds in UTC; NULL is the zero time and the largest
-- int64 is store.Forever (see sqlstore.Time). Secrets are sealed by the engine
-- before they reach the store.

CREATE TABLE users (
	name    TEXT    NOT NULL PRIMARY KEY,
	created INTEGER NOT NULL
) STRICT;

-- WITHOUT ROWID: every hot statement finds a token by its id, and a table
-- clustered on the id does that in one B-tree search instead of two.
CREATE TABLE tokens (
	id            TEXT    NOT NULL PRIMARY KEY,
	user_name     TEXT    NOT NULL REFERENCES users (name) ON DELETE CASCADE,
	type          TEXT    NOT NULL,
	enabled       INTEGER NOT NULL,
	comment       TEXT    NOT NULL,
	secret        BLOB    NOT NULL,
	algorithm     TEXT    NOT NULL,
	digits        INTEGER NOT NULL,
	period_ns     INTEGER NOT NULL,
	t0            INTEGER NOT NULL,
	identifier    TEXT,
	private_id    BLOB,
	next_counter  INTEGER NOT NULL,
	drift         INTEGER NOT NULL,
	failures      INTEGER NOT NULL,
	locked_until  INTEGER,
	last_check    INTEGER,
	last_success  INTEGER,
	configured_at INTEGER NOT NULL,
	created       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX tokens_by_user ON tokens (user_name, created);
-- NULL (no identifier) is distinct from every other NULL, in SQLite as in PostgreSQL.
CREATE UNIQUE INDEX tokens_by_identifier ON tokens (identifier);

-- No foreign key to users: a front end may hold a challenge for a name it
-- has not disclosed to be unknown. DeleteUser removes a user's challenges.
CREATE TABLE challenges (
	id        TEXT    NOT NULL PRIMARY KEY,
	user_name TEXT    NOT NULL,
	kind      TEXT    NOT NULL,
	data      BLOB    NOT NULL,
	expires   INTEGER NOT NULL,
	created   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX challenges_by_expiry ON challenges (expires);
CREATE INDEX challenges_by_user ON challenges (user_name);

-- No foreign keys: the trail outlives the users and tokens it names.
CREATE TABLE audit (
	seq       INTEGER NOT NULL PRIMARY KEY,
	logged_at INTEGER NOT NULL,
	actor     TEXT    NOT NULL,
	action    TEXT    NOT NULL,
	user_name TEXT    NOT NULL,
	token_id  TEXT    NOT NULL,
	result    TEXT    NOT NULL,
	reason    TEXT    NOT NULL,
	source    TEXT    NOT NULL
) STRICT;

CREATE INDEX audit_by_time ON audit (logged_at);
CREATE INDEX audit_by_user ON audit (user_name, logged_at);
