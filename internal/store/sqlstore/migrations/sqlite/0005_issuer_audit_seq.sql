-- Each token keeps the issuer its authenticator app shows (enroll --issuer,
-- the issuer of an imported URI or PSKC file, totpIssuerName), so that an
-- export gives it back. Tokens enrolled before have none: ''.
ALTER TABLE tokens ADD COLUMN issuer TEXT NOT NULL DEFAULT '';

-- The JSON-lines copy of the trail (package auditlog) resumes after the
-- last seq it wrote, so a seq must never be given twice. A rowid is one past
-- the highest in the table, and a trail pruned empty counted from 1 again;
-- AUTOINCREMENT remembers the highest ever given (sqlite.org/autoinc.html).
CREATE TABLE audit_new (
	seq       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	logged_at INTEGER NOT NULL,
	actor     TEXT    NOT NULL,
	action    TEXT    NOT NULL,
	user_name TEXT    NOT NULL,
	token_id  TEXT    NOT NULL,
	result    TEXT    NOT NULL,
	reason    TEXT    NOT NULL,
	source    TEXT    NOT NULL
) STRICT;
INSERT INTO audit_new SELECT seq, logged_at, actor, action, user_name, token_id, result, reason, source FROM audit;
DROP TABLE audit;
ALTER TABLE audit_new RENAME TO audit;
CREATE INDEX audit_by_time ON audit (logged_at);
