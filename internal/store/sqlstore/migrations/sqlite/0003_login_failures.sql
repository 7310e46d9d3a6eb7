-- Failed logins counted for what is not a token: a client address, a login
-- name that holds no token (package auth, issue 12 item 9). A row means
-- nothing once expires has passed: its count starts again at the next
-- failure, and PurgeLoginFailures deletes it.
CREATE TABLE login_failures (
	subject      TEXT    NOT NULL PRIMARY KEY,
	failures     INTEGER NOT NULL,
	locked_until INTEGER,
	expires      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX login_failures_by_expiry ON login_failures (expires);
