package filter

import (
	"strconv"
	"strings"

	"github.com/scimd/scimd/scim"
)

// ParsePath parses the path of a PATCH operation (RFC 7644 §3.5.2): an
// attribute path such as "name.familyName" or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", or a
// value path such as `members[value eq "2819c223"]`, optionally followed by
// a sub-attribute, as in `addresses[type eq "work"].streetAddress`.
//
// The filter inside the brackets follows the rules of Parse under
// DefaultLimits. Every error is a *scim.Error with status 400 and scimType
// invalidPath whose detail names the offset and what was expected there.
func ParsePath(s string) (Path, error) {
	p := &parser{noun: "path", scimType: scim.ErrInvalidPath, lim: DefaultLimits}
	err := p.start(s, `name an attribute such as "name.familyName"`)
	if err != nil {
		return Path{}, err
	}

	at := p.peek()
	if at.kind != tWord {
		return Path{}, p.expected("an attribute path")
	}
	p.next()
	attr, err := p.attrPath(at)
	if err != nil {
		return Path{}, err
	}
	path := Path{Attr: attr}
	if p.peek().kind != tLBrack {
		return path.or(p.end(`"[" or the end of the path`))
	}

	path.Filter, _, err = p.bracket(at, attr)
	if err != nil {
		return Path{}, err
	}
	if p.peek().kind != tDot {
		return path.or(p.end(`"." and a sub-attribute, or the end of the path`))
	}
	p.next()
	if path.Sub, err = p.subAttr(); err != nil {
		return Path{}, err
	}
	return path.or(p.end("the end of the path"))
}

// or returns p, or the zero Path when err is not nil.
func (p Path) or(err error) (Path, error) {
	if err != nil {
		return Path{}, err
	}
	return p, nil
}

// end checks that the path has been read to its end.
func (p *parser) end(what string) error {
	if p.peek().kind == tEOF {
		return nil
	}
	return p.expected(what)
}

// attrPath splits the word t into schema URN, attribute name and
// sub-attribute. The URN is everything up to the last colon, so that the
// colons and dots inside "urn:...:enterprise:2.0:User" stay in it.
func (p *parser) attrPath(t token) (AttrPath, error) {
	var a AttrPath
	rest, off := t.text, t.pos
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		a.URN, rest, off = rest[:i], rest[i+1:], off+i+1
		if rest == "" {
			return AttrPath{}, p.fail("expected an attribute name after the schema URN %q "+
				"at offset %d", scim.Clip(a.URN), off)
		}
	}

	name, sub, hasSub := strings.Cut(rest, ".")
	if why := validName(name); why != "" {
		return AttrPath{}, p.fail("invalid attribute name %q at offset %d: %s",
			scim.Clip(name), off, why)
	}
	if !hasSub {
		a.Name = name
		return a, nil
	}
	off += len(name) + 1
	if i := strings.IndexByte(sub, '.'); i >= 0 {
		return AttrPath{}, p.fail("%s has more than one sub-attribute at offset %d; "+
			"SCIM attributes nest one level deep", strconv.Quote(scim.Clip(t.text)), off+i)
	}
	if why := validName(sub); why != "" {
		return AttrPath{}, p.fail("invalid sub-attribute name %q at offset %d: %s",
			scim.Clip(sub), off, why)
	}
	a.Name, a.Sub = name, sub
	return a, nil
}

// validName checks an attribute name against ATTRNAME of RFC 7643 §2.1,
// allowing the leading "$" of "$ref". It returns why the name is invalid,
// or "".
func validName(s string) string {
	const rule = `a name starts with a letter and goes on with letters, digits, "-" and "_"`
	if s == "" {
		return "it is empty; " + rule
	}
	body := strings.TrimPrefix(s, "$")
	if body == "" || !isAlpha(body[0]) {
		return rule
	}
	for i := 0; i < len(body); i++ {
		if c := body[i]; !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' {
			return rule
		}
	}
	return ""
}
