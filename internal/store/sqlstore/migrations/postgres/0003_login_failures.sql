-- Failed logins counted for what is not a token: the table of
-- migrations/sqlite/0003_login_failures.sql in PostgreSQL's types.
CREATE TABLE login_failures (
	subject      TEXT COLLATE "C" NOT NULL,
	failures     BIGINT NOT NULL,
	locked_until BIGINT,
	expires      BIGINT NOT NULL,
	CONSTRAINT login_failures_pkey PRIMARY KEY (subject)
) WITH (fillfactor = 80);

CREATE INDEX login_failures_by_expiry ON login_failures (expires);
