package portal

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

// Bounds of the audit view.
const (
	auditPage   = 100
	auditExport = 10000
	// auditScan bounds how many events a filtered view reads to fill a
	// page: action and result are matched here, not by the store.
	auditScan = 5000
)

// auditQuery is the audit view's filters, from the URL.
type auditQuery struct {
	User, Action, Result string
	Since, Before        string // dates or times, as typed
	since, before        time.Time
}

// parseAuditQuery reads the filters; a date (2026-11-23) is its day's
// start in UTC, a time is RFC 3339.
func parseAuditQuery(q url.Values) (auditQuery, error) {
	a := auditQuery{User: strings.TrimSpace(q.Get("user")), Action: strings.TrimSpace(q.Get("action")),
		Result: strings.TrimSpace(q.Get("result")), Since: q.Get("since"), Before: q.Get("before")}
	for _, f := range []struct {
		name, v string
		dst     *time.Time
	}{{"from", a.Since, &a.since}, {"until", a.Before, &a.before}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, f.v)
		if err != nil {
			t, err = time.Parse(time.RFC3339, f.v)
		}
		if err != nil {
			return a, fmt.Errorf("%q is not a date (e.g. 2026-11-23) or a time (e.g. 2026-11-23T08:00:00Z)", f.v)
		}
		*f.dst = t
	}
	if a.Before != "" && len(a.Before) == len(time.DateOnly) {
		a.before = a.before.Add(24 * time.Hour) // "until" a day includes the day
	}
	return a, nil
}

func (a auditQuery) match(e store.AuditEvent) bool {
	return (a.Action == "" || strings.Contains(string(e.Action), a.Action)) && (a.Result == "" || e.Result == store.Result(a.Result))
}

// events returns up to limit events that match a, newest first, and
// whether more may follow.
func (p *Portal) events(r *http.Request, a auditQuery, limit int) ([]store.AuditEvent, bool, error) {
	f := store.AuditFilter{User: a.User, Since: a.since, Before: a.before, Limit: auditScan}
	if a.Action == "" && a.Result == "" {
		f.Limit = limit + 1
	}
	es, err := p.cfg.Store.Audit(r.Context(), f)
	if err != nil {
		return nil, false, err
	}
	out := make([]store.AuditEvent, 0, limit)
	for _, e := range es {
		if !a.match(e) {
			continue
		}
		if len(out) == limit {
			return out, true, nil
		}
		out = append(out, e)
	}
	return out, false, nil
}

func (p *Portal) auditPage(w http.ResponseWriter, r *http.Request) {
	a, err := parseAuditQuery(r.URL.Query())
	var es []store.AuditEvent
	more := false
	if err == nil {
		es, more, err = p.events(r, a, auditPage)
		if err != nil {
			p.storeFailed(w, r, "console audit", err)
			return
		}
	}
	pg := page{Title: "Audit trail", Nav: "audit", Data: struct {
		Q      auditQuery
		Events []store.AuditEvent
		More   bool
		CSV    string
	}{a, es, more, "/console/audit.csv?" + r.URL.RawQuery}}
	status := http.StatusOK
	if err != nil {
		pg.Error, status = err.Error(), http.StatusBadRequest
	}
	p.render(w, r, status, "audit", pg)
}

// auditCSV exports the filtered trail as CSV (RFC 4180), every cell safe
// to open in a spreadsheet.
func (p *Portal) auditCSV(w http.ResponseWriter, r *http.Request) {
	a, err := parseAuditQuery(r.URL.Query())
	if err != nil {
		p.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	es, _, err := p.events(r, a, auditExport)
	if err != nil {
		p.storeFailed(w, r, "console audit export", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="otpgate-audit.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "actor", "action", "user", "token", "result", "reason", "source"})
	for _, e := range es {
		cw.Write(csvRow(e))
	}
	cw.Flush()
}

func csvRow(e store.AuditEvent) []string {
	row := []string{e.Time.UTC().Format(time.RFC3339Nano), string(e.Actor), string(e.Action), e.User, e.TokenID, string(e.Result), e.Reason, e.Source}
	for i := range row {
		row[i] = CSVCell(row[i])
	}
	return row
}

// CSVCell makes s safe for a spreadsheet: a cell that starts with =, +, -,
// @, a tab or a carriage return would be read as a formula (CSV
// injection, OWASP), so it gets a leading apostrophe, which spreadsheets
// show as text.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
