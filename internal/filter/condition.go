package filter

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Payload conditions are CEL expressions (github.com/google/cel-go): a
// well-known, maintained, non-Turing-complete language whose programs are
// type-checked ahead of time and whose evaluation cost is metered. A
// condition sees three variables:
//
//	event   the event's JSON object (as delivered, before redaction)
//	family  the event's family ("sound", "operational", …)
//	type    the event's type (a sound label, "endpoint.disabled", …)
//
// and must be of type bool, e.g. `event.confidence >= 0.8 &&
// event.label_id.startsWith("glass")`.
const (
	// MaxConditionBytes bounds a condition's source.
	MaxConditionBytes = 4096
	// CostLimit bounds one evaluation (CEL cost units, roughly one per
	// operation and per byte of a string function's input): an expression
	// over a large payload cannot hold up delivery.
	CostLimit = 100_000
	// maxRecursion bounds the parser's nesting depth.
	maxRecursion = 32
)

var (
	envOnce sync.Once
	env     *cel.Env
	envErr  error
)

func celEnv() (*cel.Env, error) {
	envOnce.Do(func() {
		env, envErr = cel.NewEnv(
			cel.Variable("event", cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable("family", cel.StringType),
			cel.Variable("type", cel.StringType),
			cel.ParserExpressionSizeLimit(MaxConditionBytes),
			cel.ParserRecursionLimit(maxRecursion),
		)
	})
	return env, envErr
}

// ConditionError is a condition that does not compile: where and why.
type ConditionError struct {
	Line, Column int // 1-based; 0 when the error has no position
	Reason       string
}

func (e *ConditionError) Error() string {
	if e.Line == 0 {
		return e.Reason
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Reason)
}

// Condition is a compiled payload condition; safe for concurrent use.
type Condition struct {
	src string
	prg cel.Program
	// fields are the top-level members of event the condition reads, when
	// it reads event only as event.f or event["f"]; nil with whole set.
	fields  []string
	whole   bool
	tracked bool // evaluated with the cost limit
}

// Source returns the condition's text.
func (c *Condition) Source() string { return c.src }

// Compile parses and type-checks a condition. Errors are *ConditionError
// naming the first problem's position (line and column of src).
func Compile(src string) (*Condition, error) {
	if len(src) > MaxConditionBytes {
		return nil, &ConditionError{Reason: fmt.Sprintf("must be at most %d bytes", MaxConditionBytes)}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &ConditionError{Reason: "is empty"}
	}
	e, err := celEnv()
	if err != nil {
		return nil, err
	}
	ast, iss := e.Compile(src)
	if iss != nil && iss.Err() != nil {
		errs := iss.Errors()
		if len(errs) == 0 {
			return nil, &ConditionError{Reason: iss.Err().Error()}
		}
		first := errs[0]
		ce := &ConditionError{Reason: first.Message}
		if loc := first.Location; loc != nil && loc.Line() > 0 {
			ce.Line, ce.Column = loc.Line(), loc.Column()+1
		}
		return nil, ce
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) {
		return nil, &ConditionError{Reason: fmt.Sprintf("must be a boolean expression, not %s", t)}
	}
	// Tracking the cost of an evaluation costs more than evaluating a
	// small condition. So the worst case is estimated first, for any event
	// the log can hold: a condition that stays under the limit whatever
	// the event (comparisons, prefixes, no iteration over the payload) runs
	// untracked; the others are stopped at the limit.
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if est, err := e.EstimateCost(ast, worstEvent{}); err != nil || est.Max > CostLimit {
		opts = append(opts, cel.CostLimit(CostLimit))
	}
	prg, err := e.Program(ast, opts...)
	if err != nil {
		return nil, &ConditionError{Reason: err.Error()}
	}
	c := &Condition{src: src, prg: prg, tracked: len(opts) > 1}
	c.fields, c.whole = eventFields(ast.NativeRep().Expr())
	return c, nil
}

// maxEventBytes bounds the size of anything in an event for the cost
// estimate: the largest event the embedded server stores (8 MiB payloads).
const maxEventBytes = 8 << 20

// worstEvent is the cost estimator of Compile: every value of unknown size
// (a string, list or map read from event) may be as large as an event.
type worstEvent struct{}

func (worstEvent) EstimateSize(checker.AstNode) *checker.SizeEstimate {
	return &checker.SizeEstimate{Min: 0, Max: maxEventBytes}
}

func (worstEvent) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// Tracked reports whether evaluations of c are metered (its worst case
// exceeds CostLimit).
func (c *Condition) Tracked() bool { return c.tracked }

// eventFields returns the top-level members of event that e reads, or
// whole when it uses event otherwise (iterates it, passes it on, tests a
// computed key): then the payload is decoded whole.
func eventFields(e celast.Expr) (fields []string, whole bool) {
	idents, selected := 0, 0
	add := func(f string) {
		selected++
		if !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	isEvent := func(x celast.Expr) bool { return x.Kind() == celast.IdentKind && x.AsIdent() == "event" }
	celast.PreOrderVisit(e, celast.NewExprVisitor(func(x celast.Expr) {
		switch x.Kind() {
		case celast.IdentKind:
			if x.AsIdent() == "event" {
				idents++
			}
		case celast.SelectKind:
			if sel := x.AsSelect(); isEvent(sel.Operand()) {
				add(sel.FieldName())
			}
		case celast.CallKind:
			call := x.AsCall()
			if args := call.Args(); call.FunctionName() == operators.Index && len(args) == 2 && isEvent(args[0]) &&
				args[1].Kind() == celast.LiteralKind {
				if k, ok := args[1].AsLiteral().Value().(string); ok {
					add(k)
				}
			}
		}
	}))
	if idents != selected {
		return nil, true
	}
	return fields, false
}

// payload is an event's JSON, decoded at most once however many
// conditions look at it, and only the members they read (or whole).
type payload struct {
	rec    store.Record
	fields []string
	whole  bool
	done   bool
	act    activation
	err    error
}

func (p *payload) activation() (*activation, error) {
	if p.done {
		return &p.act, p.err
	}
	p.done = true
	p.act.family, p.act.typ = types.String(p.rec.Address.Family), types.String(p.rec.Address.EventType)
	obj := map[string]any{}
	if p.whole {
		if err := json.Unmarshal(p.rec.Data, &obj); err != nil || obj == nil {
			p.err = proto.ErrNotObject
		}
	} else {
		p.err = proto.Members(p.rec.Data, func(k []byte) bool { return slices.Contains(p.fields, string(k)) },
			func(k string, raw []byte) bool {
				if v, ok := scalar(raw); ok {
					obj[k] = v
				} else {
					var v any
					if json.Unmarshal(raw, &v) == nil {
						obj[k] = v
					}
				}
				return len(obj) < len(p.fields) // all found: the rest is not read
			})
	}
	p.act.event = types.NewStringInterfaceMap(types.DefaultTypeAdapter, obj)
	return &p.act, p.err
}

// scalar decodes the common members without encoding/json's reflection:
// literals, numbers and strings without escapes or non-ASCII bytes (raw is
// already validated by proto.Members).
func scalar(raw []byte) (any, bool) {
	switch string(raw) {
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	}
	switch c := raw[0]; {
	case c == '"':
		for _, b := range raw[1 : len(raw)-1] {
			if b == '\\' || b >= 0x80 {
				return nil, false
			}
		}
		return string(raw[1 : len(raw)-1]), true
	case c == '-' || c >= '0' && c <= '9':
		f, err := strconv.ParseFloat(string(raw), 64)
		return f, err == nil
	}
	return nil, false
}

// activation binds a condition's variables without a map per evaluation.
type activation struct {
	event       ref.Val
	family, typ types.String
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "event":
		return a.event, true
	case "family":
		return a.family, true
	case "type":
		return a.typ, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// Eval evaluates the condition for one event. An error (the payload is
// not an object, a field is missing, a type does not fit, the cost limit
// was reached) means the event does not match; callers count it.
func (c *Condition) Eval(rec store.Record) (bool, error) {
	p := payload{rec: rec, fields: c.fields, whole: c.whole}
	return c.eval(&p)
}

func (c *Condition) eval(p *payload) (bool, error) {
	act, err := p.activation()
	if err != nil {
		return false, err
	}
	out, _, err := c.prg.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("the condition gave %v, not a boolean", out.Value())
	}
	return b, nil
}

// EvalObject evaluates the condition on an event whose payload is already
// decoded (benchmarks, and callers that decode once for many conditions).
func (c *Condition) EvalObject(rec store.Record, obj map[string]any) (bool, error) {
	p := payload{rec: rec, done: true, act: activation{
		event:  types.NewStringInterfaceMap(types.DefaultTypeAdapter, obj),
		family: types.String(rec.Address.Family), typ: types.String(rec.Address.EventType),
	}}
	return c.eval(&p)
}
