package portal

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"otpgate.dev/otpgate/internal/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages holds each page's template, parsed with the layout. They are parsed
// by New, not at init: every otpgate process would otherwise pay for them,
// an OpenVPN hook's among them, which serves no page (a tenth of its start).
var pages = sync.OnceValue(parsePages)

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{"time": showTime, "minute": showMinute, "frontend": frontendName, "groups": groups, "pathesc": url.PathEscape}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		out[base] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", n))
	}
	return out
}

// page is what the layout shows around a page's own content.
type page struct {
	Title string
	CSRF  string
	User  string // signed in as; empty when not
	Full  bool   // signed in with the second factor
	Admin bool   // may open the console
	Nav   string // "portal", "console" or "audit": the current section
	Flash string
	Error string
	Data  any
}

// render writes the page name with status.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, status int, name string, pg page) {
	v := visitOf(r)
	pg.CSRF = csrfToken(v.bind())
	if v.sess != nil && v.sess.Stage != stageCode {
		pg.User = v.sess.User
		pg.Full = v.sess.Stage == stageFull
		if pg.Full {
			pg.Admin = p.admin(r.Context(), v.sess.User)
		}
		if v.st.Flash != "" && pg.Flash == "" {
			pg.Flash = v.st.Flash
			v.st.Flash = ""
			if err := p.save(r.Context(), v); err != nil {
				p.log.Error("web: clearing a portal message", "err", err)
			}
		}
	}
	var b bytes.Buffer
	if err := pages()[name].Execute(&b, pg); err != nil {
		p.log.Error("web: rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// fail shows msg on an error page with status.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p.render(w, r, status, "message", page{Title: http.StatusText(status), Error: msg})
}

// storeFailed logs a store failure and says so.
func (p *Portal) storeFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	p.log.Error("web: "+what, "err", err)
	p.fail(w, r, http.StatusServiceUnavailable, "The store is unavailable. Try again in a moment.")
}

func (p *Portal) admin(ctx context.Context, user string) bool {
	ok, err := p.cfg.IsAdmin(ctx, user)
	if err != nil {
		p.log.Error("web: checking an admin", "user", user, "err", err)
	}
	return ok && err == nil
}

// serveStatic serves the embedded stylesheet and images.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := staticFiles.ReadFile("static/" + name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	types := map[string]string{".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
	w.Header().Set("Content-Type", types[path.Ext(name)])
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}

// showTime writes a time for people, in UTC; never is a dash.
func showTime(t any) string {
	var v time.Time
	switch x := t.(type) {
	case time.Time:
		v = x
	case *time.Time:
		if x != nil {
			v = *x
		}
	}
	if v.IsZero() {
		return "—"
	}
	return v.UTC().Format("2006-01-02 15:04:05 UTC")
}

// showMinute is showTime to the minute, where seconds do not matter.
func showMinute(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// frontendName says which door a login came through, for its user.
func frontendName(actor store.Actor) string {
	names := map[store.Actor]string{store.ActorRADIUS: "VPN (RADIUS)", store.ActorOpenVPN: "VPN (OpenVPN)", "openvpn-mgmt": "VPN (OpenVPN)",
		Frontend: "this portal", "http": "web API"}
	if n, ok := names[actor]; ok {
		return n
	}
	return string(actor)
}

// groups splits s into groups of four, as people copy a secret.
func groups(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}
