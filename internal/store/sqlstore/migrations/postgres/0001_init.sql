-- Users, their tokens, pending challenges and the audit trail: the schema of
-- migrations/sqlite/0001_init.sql in PostgreSQL's types.
--
-- Times are Unix nanoseconds in UTC; NULL is the zero time and the largest
-- int64 is store.Forever (see sqlstore.Time). Secrets are sealed by the engine
-- before they reach the store.
--
-- Keys are COLLATE "C": byte order, as in SQLite, whatever the database's
-- locale, so that Users and the token walk order alike on both stores and an
-- upgrade of the C library cannot reorder an index.

CREATE TABLE users (
	name    TEXT COLLATE "C" NOT NULL,
	created BIGINT           NOT NULL,
	CONSTRAINT users_pkey PRIMARY KEY (name)
);

-- fillfactor leaves room in each page, so that the hot updates
-- (CommitSuccess, RecordFailure), which change no indexed column, stay
-- heap-only tuple updates and write no index.
CREATE TABLE tokens (
	id            TEXT COLLATE "C" NOT NULL,
	user_name     TEXT COLLATE "C" NOT NULL,
	type          TEXT    NOT NULL,
	enabled       BOOLEAN NOT NULL,
	comment       TEXT    NOT NULL,
	secret        BYTEA   NOT NULL,
	algorithm     TEXT    NOT NULL,
	digits        INTEGER NOT NULL,
	period_ns     BIGINT  NOT NULL,
	t0            BIGINT  NOT NULL,
	identifier    TEXT COLLATE "C",
	private_id    BYTEA,
	next_counter  BIGINT  NOT NULL,
	drift         BIGINT  NOT NULL,
	failures      BIGINT  NOT NULL,
	locked_until  BIGINT,
	last_check    BIGINT,
	last_success  BIGINT,
	configured_at BIGINT  NOT NULL,
	created       BIGINT  NOT NULL,
	CONSTRAINT tokens_pkey PRIMARY KEY (id),
	CONSTRAINT tokens_user_fkey FOREIGN KEY (user_name) REFERENCES users (name) ON DELETE CASCADE
) WITH (fillfactor = 80);

CREATE INDEX tokens_by_user ON tokens (user_name, created);
-- NULL (no identifier) is distinct from every other NULL, in SQLite as in PostgreSQL.
CREATE UNIQUE INDEX tokens_by_identifier ON tokens (identifier);

-- No foreign key to users: a front end may hold a challenge for a name it
-- has not disclosed to be unknown. DeleteUser removes a user's challenges.
CREATE TABLE challenges (
	id        TEXT COLLATE "C" NOT NULL,
	user_name TEXT COLLATE "C" NOT NULL,
	kind      TEXT   NOT NULL,
	data      BYTEA  NOT NULL,
	expires   BIGINT NOT NULL,
	created   BIGINT NOT NULL,
	CONSTRAINT challenges_pkey PRIMARY KEY (id)
);

CREATE INDEX challenges_by_expiry ON challenges (expires);
CREATE INDEX challenges_by_user ON challenges (user_name);

-- No foreign keys: the trail outlives the users and tokens it names.
CREATE TABLE audit (
	seq       BIGINT GENERATED ALWAYS AS IDENTITY,
	logged_at BIGINT NOT NULL,
	actor     TEXT   NOT NULL,
	action    TEXT   NOT NULL,
	user_name TEXT COLLATE "C" NOT NULL,
	token_id  TEXT   NOT NULL,
	result    TEXT   NOT NULL,
	reason    TEXT   NOT NULL,
	source    TEXT   NOT NULL,
	CONSTRAINT audit_pkey PRIMARY KEY (seq)
);

CREATE INDEX audit_by_time ON audit (logged_at);
CREATE INDEX audit_by_user ON audit (user_name, logged_at);
