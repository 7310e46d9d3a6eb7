// Package e2e holds end-to-end tests of the engine's lockout under
// concurrency: the shipped otpgate binary (`otpgate serve` answering
// FreeRADIUS's radclient, and `otpgate verify` processes) on a SQLite file
// and on a throwaway PostgreSQL cluster (package testpeer). A burst of
// wrong codes must lock a token however many of them are in flight, and a
// right code among them must never be accepted once the limit of failures
// is reached (issue 12, item 1).
//
// A missing peer (radclient, PostgreSQL) fails the tests; they never skip.
package e2e
