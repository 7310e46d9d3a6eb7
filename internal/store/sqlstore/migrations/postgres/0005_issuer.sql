-- Each token keeps the issuer its authenticator app shows (enroll --issuer,
-- the issuer of an imported URI or PSKC file, totpIssuerName), so that an
-- export gives it back. Tokens enrolled before have none: ''.
-- (The audit trail's identity column never gives a seq twice already; the
-- SQLite migration of the same version makes its seq so.)
ALTER TABLE tokens ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
