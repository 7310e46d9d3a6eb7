-- Local groups for the login policy, and recovery codes.
--
-- A membership names a user without a foreign key: a service account that
-- logs in with a password alone (otp = "skip") has no row in users.
CREATE TABLE group_members (
	group_name TEXT    NOT NULL,
	user_name  TEXT    NOT NULL,
	created    INTEGER NOT NULL,
	PRIMARY KEY (group_name, user_name)
) STRICT, WITHOUT ROWID;

CREATE INDEX group_members_by_user ON group_members (user_name);

-- hash is an Argon2id PHC string; used is NULL until the code is spent,
-- which happens once, by a conditional update (used IS NULL).
CREATE TABLE recovery_codes (
	id        TEXT    NOT NULL PRIMARY KEY,
	user_name TEXT    NOT NULL REFERENCES users (name) ON DELETE CASCADE,
	hash      TEXT    NOT NULL,
	digits    INTEGER NOT NULL,
	created   INTEGER NOT NULL,
	used      INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX recovery_codes_by_user ON recovery_codes (user_name);
