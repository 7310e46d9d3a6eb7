// Command sqlitewrite measures what the SQLite store's committer pays per
// success, without the engine: the conditional UPDATE of
// sqlstore.CommitSuccess on random tokens and the audit INSERT, in batches
// of one transaction each, on one connection with synchronous=FULL, as the
// group commit runs them. It works on a copy of a database made by
// bench/engine, so a schema or pragma change can be tried in seconds.
//
// With -lookup it also reads the user's tokens before each update, on the
// same connection in the same transaction: a login's lookup, CAS and audit
// on one connection, the ceiling SQLite allows that bench/engine is
// compared with (issue 20; ceiling.sh runs both on one database).
//
// Usage:
//
//	cp engine.db /tmp/w.db && go run ./bench/sqlitewrite -db /tmp/w.db [-batch 1024] [-n 100000] [-audit=false] [-update=false] [-secure-delete=false] [-cache KiB] [-table tokens] [-lookup]
//
// It prints successes per second and microseconds per success. It changes
// the database it is given: use a copy.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"time"

	_ "modernc.org/sqlite"

	"otpgate.dev/otpgate/internal/store/sqlstore"
)

type config struct {
	db, table     string
	batch, n      int
	cacheKiB      int
	audit, update bool
	secureDelete  bool
	lookup        bool
}

func main() {
	var c config
	flag.StringVar(&c.db, "db", "", "database made by bench/engine (a copy: it is changed)")
	flag.StringVar(&c.table, "table", "tokens", "table holding id and next_counter")
	flag.IntVar(&c.batch, "batch", 1024, "successes per transaction")
	flag.IntVar(&c.n, "n", 100_000, "successes to commit")
	flag.IntVar(&c.cacheKiB, "cache", 2000, "page cache in KiB (SQLite's default is 2000)")
	flag.BoolVar(&c.audit, "audit", true, "insert an audit row per success")
	flag.BoolVar(&c.update, "update", true, "run the conditional UPDATE per success")
	flag.BoolVar(&c.secureDelete, "secure-delete", true, "PRAGMA secure_delete, as the store's writer runs")
	flag.BoolVar(&c.lookup, "lookup", false, "read the user's tokens (sqlstore.SelectTokensByUser) before each update")
	flag.Parse()
	if c.db == "" || c.batch < 1 || c.n < 1 || c.cacheKiB < 1 {
		fmt.Fprintln(os.Stderr, "sqlitewrite: error: -db is required; -batch, -n and -cache must be at least 1")
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "sqlitewrite: error:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	ctx := context.Background()
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)",
		"wal_autocheckpoint(10000)", fmt.Sprintf("cache_size(-%d)", c.cacheKiB),
		fmt.Sprintf("secure_delete(%t)", c.secureDelete)} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+c.db+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	next, ids, err := counters(ctx, conn, c.table)
	if err != nil {
		return err
	}
	users, err := owners(ctx, conn, c.lookup)
	if err != nil {
		return err
	}
	sel, err := conn.PrepareContext(ctx, sqlstore.SelectTokensByUser)
	if err != nil {
		return err
	}
	upd, err := conn.PrepareContext(ctx, "UPDATE "+c.table+` SET next_counter = $2, drift = $3, failures = 0,
		last_check = $4, last_success = $4 WHERE id = $1 AND next_counter < $2`)
	if err != nil {
		return err
	}
	ins, err := conn.PrepareContext(ctx, sqlstore.InsertAudit)
	if err != nil {
		return err
	}
	start := time.Now()
	done := 0
	for done < c.n {
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return err
		}
		for range c.batch {
			id := ids[rand.IntN(len(ids))]
			next[id]++
			now := time.Now().UnixNano()
			if c.lookup {
				if err := lookup(ctx, sel, users[id]); err != nil {
					return err
				}
			}
			if c.update {
				res, err := upd.ExecContext(ctx, id, next[id], 0, now)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n != 1 {
					return fmt.Errorf("token %s: the conditional update changed %d rows; want 1", id, n)
				}
			}
			if c.audit {
				if _, err := ins.ExecContext(ctx, now, "engine", "verify", "user-"+id, id, "ok", "", "bench"); err != nil {
					return err
				}
			}
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			return err
		}
		done += c.batch
	}
	el := time.Since(start)
	fmt.Printf("%d tokens, batch %d, lookup %v, update %v, audit %v: %d successes in %v: %.0f/s, %.1f µs each\n",
		len(ids), c.batch, c.lookup, c.update, c.audit, done, el.Round(time.Millisecond),
		float64(done)/el.Seconds(), float64(el.Microseconds())/float64(done))
	return nil
}

// counters reads every token's id and next counter.
func counters(ctx context.Context, conn *sql.Conn, table string) (map[string]int64, []string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT id, next_counter FROM "+table)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	next := map[string]int64{}
	var ids []string
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, nil, err
		}
		next[id] = n
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(ids) == 0 {
		return nil, nil, errors.New("the database has no tokens")
	}
	return next, ids, nil
}

// owners maps each token to its user, when the run looks tokens up.
func owners(ctx context.Context, conn *sql.Conn, lookup bool) (map[string]string, error) {
	m := map[string]string{}
	if !lookup {
		return m, nil
	}
	rows, err := conn.QueryContext(ctx, "SELECT id, user_name FROM tokens")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, user string
		if err := rows.Scan(&id, &user); err != nil {
			return nil, err
		}
		m[id] = user
	}
	return m, rows.Err()
}

// lookup reads every column of the user's tokens, as the store's reader
// does before a verification.
func lookup(ctx context.Context, sel *sql.Stmt, user string) error {
	rows, err := sel.QueryContext(ctx, user)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(sql.RawBytes)
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("user %q has no token", user)
	}
	return rows.Err()
}
