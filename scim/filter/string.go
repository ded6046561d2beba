package filter

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// String renders the path as a filter or PATCH path spells it:
// "urn:...:User:name.familyName", or "name.familyName" without a URN.
func (a AttrPath) String() string {
	var b strings.Builder
	a.write(&b)
	return b.String()
}

func (a AttrPath) write(b *strings.Builder) {
	if a.URN != "" {
		b.WriteString(a.URN)
		b.WriteByte(':')
	}
	b.WriteString(a.Name)
	if a.Sub != "" {
		b.WriteByte('.')
		b.WriteString(a.Sub)
	}
}

// String renders the path as ParsePath reads it, as in
// `emails[type eq "work"].value`.
func (p Path) String() string {
	var b strings.Builder
	p.Attr.write(&b)
	if p.Filter != nil {
		b.WriteByte('[')
		write(&b, p.Filter)
		b.WriteByte(']')
	}
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
	return b.String()
}

// String renders e as a canonical filter: lower-case keywords, one space
// between tokens, values as JSON and parentheses only where the tree needs
// them. Parse reads the result back to an equal tree. A nil e renders as "".
func String(e Expr) string {
	var b strings.Builder
	write(&b, e)
	return b.String()
}

func write(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case *Compare:
		e.Attr.write(b)
		b.WriteByte(' ')
		b.WriteString(string(e.Op))
		b.WriteByte(' ')
		writeValue(b, e.Value)
	case *Present:
		e.Attr.write(b)
		b.WriteString(" pr")
	case *And:
		// and groups from the left and binds tighter than or, so an Or
		// operand, or an And on the right, needs parentheses.
		writeOperand(b, e.Left, isOr(e.Left))
		b.WriteString(" and ")
		writeOperand(b, e.Right, isOr(e.Right) || isAnd(e.Right))
	case *Or:
		writeOperand(b, e.Left, false)
		b.WriteString(" or ")
		writeOperand(b, e.Right, isOr(e.Right))
	case *Not:
		b.WriteString("not (")
		write(b, e.X)
		b.WriteByte(')')
	case *ValuePath:
		e.Attr.write(b)
		b.WriteByte('[')
		write(b, e.Filter)
		b.WriteByte(']')
	case nil:
	default:
		panic(fmt.Sprintf("filter: unknown expression type %T", e))
	}
}

func writeOperand(b *strings.Builder, e Expr, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	write(b, e)
	if paren {
		b.WriteByte(')')
	}
}

func isOr(e Expr) bool  { _, ok := e.(*Or); return ok }
func isAnd(e Expr) bool { _, ok := e.(*And); return ok }

// writeValue writes a compValue as a JSON literal. Strings escape only what
// JSON requires, so that "@" and "<" stay readable in logs.
func writeValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case json.Number:
		b.WriteString(string(v))
	case string:
		writeString(b, v)
	default:
		// Only Resolve and Parse build trees; they never store other types.
		// Render something a person can read rather than fail a log line.
		writeString(b, fmt.Sprint(v))
	}
}

func writeString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xF])
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\ufffd`)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
}
