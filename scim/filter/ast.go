// Package filter parses the SCIM filter and attribute-path grammar of
// RFC 7644 §3.4.2.2 and §3.5.2 into an AST and matches an AST against a
// resource.
package filter

// AttrPath names an attribute: an optional schema URN, the attribute and
// an optional sub-attribute, as in
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
type AttrPath struct {
	URN  string // schema URN; "" when the name is not qualified
	Name string
	Sub  string // "" when no sub-attribute is named
}

// Op is a comparison operator.
type Op string

// The attribute operators of RFC 7644 §3.4.2.2, Table 3.
const (
	Eq Op = "eq"
	Ne Op = "ne"
	Co Op = "co"
	Sw Op = "sw"
	Ew Op = "ew"
	Gt Op = "gt"
	Ge Op = "ge"
	Lt Op = "lt"
	Le Op = "le"
	Pr Op = "pr"
)

// Expr is a filter expression: *Compare, *Present, *And, *Or, *Not or
// *ValuePath.
type Expr interface{ isExpr() }

// Compare is "attrPath op value". Value is a string, bool, json.Number or
// nil (the JSON literal null). Parse allows nil and bool only with eq and
// ne, and json.Number not with co, sw or ew.
//
// After Resolve, Value fits the attribute's type: a string for string,
// reference and binary attributes; for dateTime a string that is an RFC 3339
// timestamp unless Op is co, sw or ew; a json.Number for integer and
// decimal; a bool for boolean; nil only with eq and ne. Attr then names a
// simple attribute or sub-attribute, never a complex one.
type Compare struct {
	Attr  AttrPath
	Op    Op
	Value any
}

// Present is "attrPath pr".
type Present struct {
	Attr AttrPath
}

// And is "left and right".
type And struct{ Left, Right Expr }

// Or is "left or right".
type Or struct{ Left, Right Expr }

// Not is "not (x)".
type Not struct{ X Expr }

// ValuePath is "attrPath[valFilter]": it matches when one element of the
// multi-valued (or complex) attribute Attr matches Filter. Attribute paths
// inside Filter name sub-attributes of that element: their Name is the
// sub-attribute and their URN and Sub are empty. Attr.Sub is always empty,
// and value paths do not nest.
type ValuePath struct {
	Attr   AttrPath
	Filter Expr
}

func (*Compare) isExpr()   {}
func (*Present) isExpr()   {}
func (*And) isExpr()       {}
func (*Or) isExpr()        {}
func (*Not) isExpr()       {}
func (*ValuePath) isExpr() {}

// Path is the target of a PATCH operation (RFC 7644 §3.5.2):
// attrPath, or valuePath optionally followed by ".subAttr", as in
// `emails[type eq "work"].value`.
type Path struct {
	Attr   AttrPath
	Filter Expr   // nil when the path has no [valFilter]
	Sub    string // sub-attribute after the filter; "" when none
}

// Limits bounds what Parse accepts.
type Limits struct {
	MaxLength int // longest filter in bytes; 0 means DefaultLimits.MaxLength

	// MaxDepth bounds nesting; 0 means DefaultLimits.MaxDepth. Each pair of
	// parentheses, each not (...), each [value filter] and each and/or chain
	// adds one level to what it contains. A run of one operator counts once,
	// so a long list of "id eq ... or id eq ..." is bounded by MaxLength
	// alone, while "a and (b or c)" is three levels deep.
	MaxDepth int
}

// DefaultLimits are the limits a server applies unless configured otherwise.
var DefaultLimits = Limits{MaxLength: 4096, MaxDepth: 16}
