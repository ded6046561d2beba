package filter

import (
	"encoding/json"
	"strings"

	"github.com/scimd/scimd/scim"
)

// Parse parses a filter (RFC 7644 §3.4.2.2, Figure 1). Keywords and
// operators match without regard to case; attribute names are kept as
// written, for Resolve to check. "not" binds tighter than "and", which binds
// tighter than "or"; and/or chains group from the left.
//
// Besides the RFC grammar, Parse reads the form Microsoft Entra ID sends
// when a user's matching attribute is a typed email,
// `emails[type eq "work"].value eq "x"`, as
// `emails[type eq "work" and value eq "x"]`.
//
// Zero fields of lim take their value from DefaultLimits. Every error is a
// *scim.Error with status 400 and scimType invalidFilter whose detail names
// the offset and what was expected there.
func Parse(s string, lim Limits) (Expr, error) {
	lim = lim.withDefaults()
	p := &parser{noun: "filter", scimType: scim.ErrInvalidFilter, lim: lim}
	if err := p.start(s, `send an expression such as userName eq "bjensen"`); err != nil {
		return nil, err
	}

	e, _, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	return e, nil
}

// withDefaults fills the zero fields of lim from DefaultLimits.
func (lim Limits) withDefaults() Limits {
	if lim.MaxLength <= 0 {
		lim.MaxLength = DefaultLimits.MaxLength
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = DefaultLimits.MaxDepth
	}
	return lim
}

// parser is a recursive-descent parser over the tokens of one filter or
// path. Each parse method returns the expression and its depth: one level
// for each and/or chain, not, [value filter] and pair of parentheses.
type parser struct {
	noun     string // "filter" or "path": the first word of every detail
	scimType scim.ErrorType
	lim      Limits

	toks   []token
	i      int
	groups int    // "(" and "[" enclosing the current token
	vpath  *token // the attribute before the enclosing "[", or nil
}

// fail returns a 400 error of the parser's scimType.
func (p *parser) fail(format string, args ...any) error {
	return scim.BadRequest(p.scimType, p.noun+": "+format, args...)
}

// start checks the limits on s and splits it into tokens.
func (p *parser) start(s, example string) error {
	if strings.TrimSpace(s) == "" {
		return p.fail("empty %s; %s", p.noun, example)
	}
	if len(s) > p.lim.MaxLength {
		return p.fail("too long: %d bytes, more than the limit of %d", len(s), p.lim.MaxLength)
	}

	toks, err := lex(s, p.fail)
	if err != nil {
		return err
	}
	p.toks = toks
	return nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// keyword reports whether t is the word kw, in any case.
func keyword(t token, kw string) bool {
	return t.kind == tWord && strings.EqualFold(t.text, kw)
}

// expected reports that the current token is not what the grammar needs.
func (p *parser) expected(what string) error {
	t := p.peek()
	if p.i == 0 {
		return p.fail("expected %s at offset %d, found %s", what, t.pos, t.display())
	}
	prev := p.toks[p.i-1]
	return p.fail("expected %s after %s at offset %d, found %s",
		what, prev.display(), t.pos, t.display())
}

// deeper enforces MaxDepth on an expression of depth d built at token t.
func (p *parser) deeper(d int, t token) error {
	if d > p.lim.MaxDepth {
		return p.fail("nests deeper than the limit of %d at offset %d; simplify the %s",
			p.lim.MaxDepth, t.pos, p.noun)
	}
	return nil
}

// open enters a group ("(" or "[") at token t. Checking here, before the
// recursion, keeps a run of "((((" from recursing past the limit.
func (p *parser) open(t token) error {
	p.groups++
	return p.deeper(p.groups, t)
}

// expectEnd checks that the whole input was consumed.
func (p *parser) expectEnd() error {
	switch t := p.peek(); t.kind {
	case tEOF:
		return nil
	case tRParen, tRBrack:
		return p.fail("unexpected %s at offset %d: nothing is open to close",
			t.display(), t.pos)
	}
	return p.expected(`"and", "or" or the end of the ` + p.noun)
}

// close consumes the token that ends the group opened at token open.
func (p *parser) close(open token, want kind) error {
	t := p.peek()
	if t.kind != want {
		closer := `")"`
		if want == tRBrack {
			closer = `"]"`
		}
		return p.fail(`the %s at offset %d is not closed: expected "and", "or" or %s `+
			`at offset %d, found %s`, open.display(), open.pos, closer, t.pos, t.display())
	}
	p.next()
	p.groups--
	return nil
}

// parseOr parses "x or y or ...".
func (p *parser) parseOr() (Expr, int, error) {
	e, d, err := p.parseAnd()
	if err != nil {
		return nil, 0, err
	}
	chain := false
	for keyword(p.peek(), "or") {
		op := p.next()
		r, rd, err := p.parseAnd()
		if err != nil {
			return nil, 0, err
		}
		e, d, chain = &Or{Left: e, Right: r}, max(d, rd), true
		if err := p.deeper(d+1, op); err != nil {
			return nil, 0, err
		}
	}
	if chain {
		d++
	}
	return e, d, nil
}

// parseAnd parses "x and y and ...".
func (p *parser) parseAnd() (Expr, int, error) {
	e, d, err := p.parseUnary()
	if err != nil {
		return nil, 0, err
	}
	chain := false
	for keyword(p.peek(), "and") {
		op := p.next()
		r, rd, err := p.parseUnary()
		if err != nil {
			return nil, 0, err
		}
		e, d, chain = &And{Left: e, Right: r}, max(d, rd), true
		if err := p.deeper(d+1, op); err != nil {
			return nil, 0, err
		}
	}
	if chain {
		d++
	}
	return e, d, nil
}

// parseUnary parses "(x)", "not (x)" and attribute expressions.
func (p *parser) parseUnary() (Expr, int, error) {
	t := p.peek()
	switch {
	case t.kind == tLParen:
		p.next()
		e, d, err := p.group(t)
		return e, d, err
	case keyword(t, "not") && p.toks[p.i+1].kind == tLParen:
		p.next()
		open := p.next()
		e, d, err := p.group(open)
		if err != nil {
			return nil, 0, err
		}
		return &Not{X: e}, d, nil
	case keyword(t, "not"):
		n := p.toks[p.i+1]
		return nil, 0, p.fail(`expected "(" after "not" at offset %d, found %s; `+
			`RFC 7644 writes negation as not (expression)`, n.pos, n.display())
	case t.kind == tWord:
		return p.parseAttrExpr()
	}
	return nil, 0, p.expected(`an attribute path, "(" or "not"`)
}

// group parses the inside of parentheses opened at token open and the ")".
// The parentheses count as one level of depth.
func (p *parser) group(open token) (Expr, int, error) {
	if err := p.open(open); err != nil {
		return nil, 0, err
	}
	e, d, err := p.parseOr()
	if err != nil {
		return nil, 0, err
	}
	if err := p.close(open, tRParen); err != nil {
		return nil, 0, err
	}
	return e, d + 1, p.deeper(d+1, open)
}

// parseAttrExpr parses "attrPath pr", "attrPath op value" and
// "attrPath[valFilter]".
func (p *parser) parseAttrExpr() (Expr, int, error) {
	at := p.next()
	attr, err := p.attrPath(at)
	if err != nil {
		return nil, 0, err
	}
	if p.peek().kind == tLBrack {
		return p.parseValuePath(at, attr)
	}
	if p.vpath != nil && (attr.URN != "" || attr.Sub != "") {
		return nil, 0, p.fail(`inside %s[...] name a sub-attribute of %s such as "value", `+
			`not %s at offset %d`, p.vpath.text, p.vpath.display(), at.display(), at.pos)
	}
	e, err := p.parseComparison(attr)
	return e, 0, err
}

// parseComparison parses "pr" or "op value" after the attribute path attr.
func (p *parser) parseComparison(attr AttrPath) (Expr, error) {
	t := p.peek()
	op, ok := operator(t)
	if !ok {
		return nil, p.expected("a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)")
	}
	p.next()
	if op == Pr {
		return &Present{Attr: attr}, nil
	}

	v := p.peek()
	var val any
	switch {
	case v.kind == tString:
		val = v.val
	case v.kind == tNumber:
		val = json.Number(v.text)
	case keyword(v, "true"), keyword(v, "false"):
		val = strings.EqualFold(v.text, "true")
	case keyword(v, "null"):
		val = nil
	default:
		return nil, p.expected("a value (a quoted string, a number, true, false or null)")
	}

	// RFC 7644 §3.4.2.2 defines co, sw, ew and the orderings on strings,
	// numbers and dates only; null and booleans can only be equal or not.
	if _, isStr := val.(string); op != Eq && op != Ne && !isStr {
		if _, isNum := val.(json.Number); !isNum || op == Co || op == Sw || op == Ew {
			return nil, p.fail("%s cannot compare with %s at offset %d; it applies to %s",
				op, v.text, v.pos, opOperands[op])
		}
	}
	p.next()
	return &Compare{Attr: attr, Op: op, Value: val}, nil
}

var opOperands = map[Op]string{
	Co: "strings", Sw: "strings", Ew: "strings",
	Gt: "strings, numbers and dates", Ge: "strings, numbers and dates",
	Lt: "strings, numbers and dates", Le: "strings, numbers and dates",
}

// operator returns the comparison operator t spells, in any case.
func operator(t token) (Op, bool) {
	if t.kind != tWord {
		return "", false
	}
	switch op := Op(strings.ToLower(t.text)); op {
	case Eq, Ne, Co, Sw, Ew, Gt, Ge, Lt, Le, Pr:
		return op, true
	}
	return "", false
}

// parseValuePath parses "[valFilter]" after the attribute path attr, spelled
// by token at, and the Entra form "[valFilter].sub op value".
func (p *parser) parseValuePath(at token, attr AttrPath) (Expr, int, error) {
	f, d, err := p.bracket(at, attr)
	if err != nil {
		return nil, 0, err
	}

	// Entra ID's `emails[type eq "work"].value eq "x"`.
	if p.peek().kind == tDot {
		dot := p.next()
		sub, err := p.subAttr()
		if err != nil {
			return nil, 0, err
		}
		cmp, err := p.parseComparison(AttrPath{Name: sub})
		if err != nil {
			return nil, 0, err
		}
		f, d = &And{Left: f, Right: cmp}, d+1
		if err := p.deeper(d, dot); err != nil {
			return nil, 0, err
		}
	}
	return &ValuePath{Attr: attr, Filter: f}, d, nil
}

// bracket parses "[valFilter]" after the attribute path attr, spelled by
// token at. The brackets count as one level of depth.
func (p *parser) bracket(at token, attr AttrPath) (Expr, int, error) {
	open := p.next()
	if p.vpath != nil {
		return nil, 0, p.fail(`value filters cannot nest: %s at offset %d is inside %s[...]`,
			at.display(), at.pos, p.vpath.text)
	}
	if attr.Sub != "" {
		return nil, 0, p.fail(`%s names a sub-attribute; a [value filter] follows a `+
			`multi-valued attribute such as "emails" at offset %d`, at.display(), open.pos)
	}
	if err := p.open(open); err != nil {
		return nil, 0, err
	}

	p.vpath = &at
	f, d, err := p.parseOr()
	if err != nil {
		return nil, 0, err
	}
	if err := p.close(open, tRBrack); err != nil {
		return nil, 0, err
	}
	p.vpath = nil
	return f, d + 1, p.deeper(d+1, open)
}

// subAttr consumes the plain attribute name that follows "]." .
func (p *parser) subAttr() (string, error) {
	t := p.peek()
	if t.kind != tWord || validName(t.text) != "" {
		return "", p.expected("a sub-attribute name")
	}
	p.next()
	return t.text, nil
}
