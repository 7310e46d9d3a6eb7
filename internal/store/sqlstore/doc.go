// Package sqlstore holds what otpgate's SQL stores share and what does not
// depend on the database driver: the versioned schema migrations, embedded in
// the binary, with a small migrator ([Migrate]); the statements every store
// runs, written once in SQL that SQLite and PostgreSQL both accept ($n
// placeholders, RETURNING); and the codecs between rows and the types of
// package store ([ScanToken], [TokenArgs], [Time]).
//
// DDL differs between databases, so each [Dialect] has its own directory,
// migrations/<dialect>/NNNN_name.sql; the statements are shared.
//
// Times are stored as Unix nanoseconds in UTC, NULL for the zero time; see
// [Time].
package sqlstore
