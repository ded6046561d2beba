package filter

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scimd/scimd/scim"
)

// kind is the kind of a token.
type kind int

const (
	tEOF    kind = iota
	tWord        // an attribute path or a keyword: userName, eq, and, true
	tString      // a JSON string; val holds it decoded
	tNumber      // a JSON number; text holds it as written
	tLParen
	tRParen
	tLBrack
	tRBrack
	tDot // "." between "]" and a sub-attribute in a PATCH path
)

// token is one lexical element and the byte offset where it starts.
type token struct {
	kind kind
	pos  int
	text string // the source text of the token
	val  string // the decoded value of a tString
}

// display renders the token for an error detail: short, quoted, and as the
// client wrote it.
func (t token) display() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tString:
		return scim.Clip(t.text)
	}
	return strconv.Quote(scim.Clip(t.text))
}

// lex splits src into tokens. The caller's error function turns a detail
// into a SCIM error of the right type.
func lex(src string, fail func(format string, args ...any) error) ([]token, error) {
	if i := invalidUTF8(src); i >= 0 {
		return nil, fail("invalid UTF-8 at offset %d", i)
	}

	var toks []token
	i := 0
	for {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i == len(src) {
			return append(toks, token{kind: tEOF, pos: i}), nil
		}

		c := src[i]
		start := i
		switch {
		case c == '(' || c == ')' || c == '[' || c == ']' || c == '.':
			i++
			toks = append(toks, token{kind: punct[c], pos: start, text: src[start:i]})
		case c == '"':
			val, end, err := lexString(src, start, fail)
			if err != nil {
				return nil, err
			}
			i = end
			toks = append(toks, token{kind: tString, pos: start, text: src[start:i], val: val})
		case c == '-' || isDigit(c):
			for i < len(src) && isNumberChar(src[i]) {
				i++
			}
			if !validNumber(src[start:i]) {
				return nil, fail("malformed number %q at offset %d", scim.Clip(src[start:i]), start)
			}
			toks = append(toks, token{kind: tNumber, pos: start, text: src[start:i]})
		case isAlpha(c) || c == '$':
			for i < len(src) && isWordChar(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tWord, pos: start, text: src[start:i]})
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return nil, fail("unexpected character %s at offset %d", strconv.Quote(string(r)), start)
		}
	}
}

var punct = map[byte]kind{'(': tLParen, ')': tRParen, '[': tLBrack, ']': tRBrack, '.': tDot}

// lexString decodes the JSON string starting at src[start] and returns it
// with the offset just past its closing quote.
func lexString(src string, start int, fail func(string, ...any) error) (string, int, error) {
	var b strings.Builder
	i := start + 1
	for {
		if i >= len(src) {
			return "", 0, fail("unterminated string starting at offset %d", start)
		}

		c := src[i]
		switch {
		case c == '"':
			return b.String(), i + 1, nil
		case c < 0x20:
			return "", 0, fail("control character U+%04X in string at offset %d; escape it", c, i)
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}

		// An escape sequence (RFC 8259 §7).
		if i+1 >= len(src) {
			return "", 0, fail("unterminated string starting at offset %d", start)
		}
		esc := src[i+1]
		if r, ok := escapes[esc]; ok {
			b.WriteByte(r)
			i += 2
			continue
		}
		if esc != 'u' {
			return "", 0, fail("invalid escape %q in string at offset %d", src[i:i+2], i)
		}
		r, n := decodeU(src[i:])
		if n == 0 {
			return "", 0, fail("invalid escape %q in string at offset %d; "+
				`write \u and four hex digits`, scim.Clip(src[i:min(i+6, len(src))]), i)
		}
		b.WriteRune(r)
		i += n
	}
}

var escapes = map[byte]byte{
	'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t',
}

// decodeU decodes "\uXXXX", or a surrogate pair written as two of them, at
// the start of s. It returns the rune and the bytes consumed, 0 when s does
// not start with a well-formed escape. A lone surrogate decodes to U+FFFD,
// as encoding/json does.
func decodeU(s string) (rune, int) {
	r := hex4(s)
	if r < 0 {
		return 0, 0
	}
	if !utf16Surrogate(r) {
		return r, 6
	}
	if r < 0xDC00 && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
		if lo := hex4(s[6:]); lo >= 0xDC00 && lo <= 0xDFFF {
			return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12
		}
	}
	return utf8.RuneError, 6
}

// hex4 reads the four hex digits of "\uXXXX" at the start of s, or -1.
func hex4(s string) rune {
	if len(s) < 6 {
		return -1
	}
	n, err := strconv.ParseUint(s[2:6], 16, 32)
	if err != nil {
		return -1
	}
	return rune(n)
}

func utf16Surrogate(r rune) bool { return r >= 0xD800 && r <= 0xDFFF }

// validNumber reports whether s is a JSON number (RFC 8259 §6).
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

func digits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// invalidUTF8 returns the offset of the first invalid UTF-8 byte in s, or -1.
func invalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return i
			}
		}
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isWordChar reports whether c may continue an attribute path: the nameChar
// of RFC 7643 §2.1, plus the colons and dots of schema URNs and the "$" of
// "$ref".
func isWordChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || strings.IndexByte("-_.:$", c) >= 0
}

// isNumberChar over-approximates the characters of a number so that "12ab"
// is reported as one malformed number rather than a number and a word.
func isNumberChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '.' || c == '+' || c == '-'
}
