package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/directory"
)

// view is what every page template receives.
type view struct {
	Title   string
	User    *directory.ConsoleUser // nil when signed out
	Account *directory.Account     // the account whose pages are shown, if any
	Section string                 // the account navigation item to mark
	Flash   string                 // a confirmation of the last action
	Error   string                 // what went wrong, for a person
	Data    any                    // the page's own data
}

// parsePages parses each page template together with the layout, once.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	pages := make(map[string]*template.Template)
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse template %q: %w", n, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes page with status, rendered into a buffer first so that a
// template failure never leaves half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page string,
	v *view) {
	if v.User == nil {
		if u, ok := userFrom(r); ok {
			v.User = u
		}
	}
	t, ok := s.pages[page]
	if !ok {
		s.log.Error("render", "page", page, "error", "no such template")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("render", "page", page, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

var funcs = template.FuncMap{
	"when":    when,
	"ago":     ago,
	"latency": latency,
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	"add": func(a, b int) int { return a + b },
	"has": slices.Contains[[]string],
	"deref": func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	},
}

// when formats a time for tables: UTC, to the second, machine-readable in
// the datetime attribute.
func when(t time.Time) template.HTML {
	if t.IsZero() {
		return "—"
	}
	t = t.UTC()
	return template.HTML(fmt.Sprintf(`<time datetime="%s">%s</time>`,
		t.Format(time.RFC3339), t.Format("2006-01-02 15:04:05 UTC")))
}

// latency formats a request's duration to the millisecond.
func latency(d time.Duration) string {
	if d < time.Millisecond {
		return "<1 ms"
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// ago formats how long before now t was, coarsely.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
