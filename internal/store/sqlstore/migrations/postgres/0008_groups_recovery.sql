-- Local groups for the login policy, and recovery codes.
--
-- A membership names a user without a foreign key: a service account that
-- logs in with a password alone (otp = "skip") has no row in users.
CREATE TABLE group_members (
	group_name TEXT COLLATE "C" NOT NULL,
	user_name  TEXT COLLATE "C" NOT NULL,
	created    BIGINT NOT NULL,
	CONSTRAINT group_members_pkey PRIMARY KEY (group_name, user_name)
);

CREATE INDEX group_members_by_user ON group_members (user_name);

-- hash is an Argon2id PHC string; used is NULL until the code is spent,
-- which happens once, by a conditional update (used IS NULL).
CREATE TABLE recovery_codes (
	id        TEXT COLLATE "C" NOT NULL,
	user_name TEXT COLLATE "C" NOT NULL,
	hash      TEXT   NOT NULL,
	digits    INTEGER NOT NULL,
	created   BIGINT NOT NULL,
	used      BIGINT,
	CONSTRAINT recovery_codes_pkey PRIMARY KEY (id),
	CONSTRAINT recovery_codes_user_fkey FOREIGN KEY (user_name) REFERENCES users (name) ON DELETE CASCADE
);

CREATE INDEX recovery_codes_by_user ON recovery_codes (user_name);
