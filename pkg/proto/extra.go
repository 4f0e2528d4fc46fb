package proto

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Unknown-field preservation for the event types.
//
// The gateway's rule is that payloads travel as ingested (docs/contract.md#as-ingested). Clients and the
// composite engine that decode an event into the typed structs and encode it again must
// not drop what they did not understand, so every event object type has
//
//	Extra map[string]json.RawMessage `json:"-"`
//
// and implements UnmarshalJSON/MarshalJSON through unmarshalObject/marshalObject below: one
// reflective implementation, its field table cached per type, instead of a hand-written
// copy per type that would drift from the struct tags.
//
// Semantics:
//   - Members are matched to fields by exact name (encoding/json would also accept other
//     letter cases, which would make a decoded event disagree with Extract).
//   - Members without a field go to Extra. So does the raw value of an omitempty field
//     whose decoded value is empty (an explicit null, "", 0 or false), so it is written back
//     as it came instead of vanishing; set the field to a non-empty value to override it.
//   - Marshal writes the fields in struct order (which follows the sources, docs/sources.md), then the
//     remaining Extra members sorted by name. A nil slice field without omitempty is
//     written as [] (json.RawMessage fields excepted: nil is null).

type objField struct {
	name      string
	index     int
	omitEmpty bool
	emptyList bool // nil slice marshals as []
}

type objInfo struct {
	fields []objField
	byName map[string]int // name → position in fields
	extra  int            // index of the Extra field
}

var objInfos sync.Map // reflect.Type → *objInfo

var rawMessageType = reflect.TypeFor[json.RawMessage]()

func objInfoOf(t reflect.Type) *objInfo {
	if v, ok := objInfos.Load(t); ok {
		return v.(*objInfo)
	}
	info := &objInfo{byName: map[string]int{}, extra: -1}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Name == "Extra" {
			info.extra = i
			continue
		}
		tag := sf.Tag.Get("json")
		if !sf.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		f := objField{name: name, index: i, omitEmpty: slices.Contains(strings.Split(opts, ","), "omitempty")}
		f.emptyList = !f.omitEmpty && sf.Type.Kind() == reflect.Slice && sf.Type != rawMessageType
		info.byName[name] = len(info.fields)
		info.fields = append(info.fields, f)
	}
	if info.extra < 0 {
		panic("proto: " + t.String() + " has no Extra field")
	}
	v, _ := objInfos.LoadOrStore(t, info)
	return v.(*objInfo)
}

// pathError locates a decoding error inside nested objects ("microphone.channel.port").
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

var errNotObject = errors.New("must be a JSON object")

// unmarshalObject decodes the JSON object data into *ptr (a struct with an Extra field),
// replacing its previous contents. null leaves *ptr unchanged, as encoding/json does for
// structs.
func unmarshalObject(data []byte, ptr any) error {
	data = bytes.TrimLeft(data, " \t\r\n")
	if bytes.HasPrefix(data, []byte("null")) {
		return nil
	}
	if len(data) == 0 || data[0] != '{' {
		return errNotObject
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return err
	}
	rv := reflect.ValueOf(ptr).Elem()
	rv.SetZero()
	info := objInfoOf(rv.Type())
	var extra map[string]json.RawMessage
	for name, raw := range members {
		i, known := info.byName[name]
		if !known {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[name] = raw
			continue
		}
		f := info.fields[i]
		fv := rv.Field(f.index)
		if err := json.Unmarshal(raw, fv.Addr().Interface()); err != nil {
			return prefixPath(name, err)
		}
		if f.omitEmpty && isEmptyValue(fv) {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[name] = raw
		}
	}
	if extra != nil {
		rv.Field(info.extra).Set(reflect.ValueOf(extra))
	}
	return nil
}

func prefixPath(name string, err error) error {
	var pe *pathError
	if errors.As(err, &pe) {
		return &pathError{path: name + "." + pe.path, err: pe.err}
	}
	return &pathError{path: name, err: err}
}

// marshalObject encodes *ptr (a struct with an Extra field) as described above.
func marshalObject(ptr any) ([]byte, error) {
	rv := reflect.ValueOf(ptr).Elem()
	info := objInfoOf(rv.Type())
	extra, _ := rv.Field(info.extra).Interface().(map[string]json.RawMessage)
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	member := func(name string, value []byte) {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		writeKey(&buf, name)
		if len(value) == 0 {
			value = []byte("null")
		}
		buf.Write(value)
	}
	for _, f := range info.fields {
		fv := rv.Field(f.index)
		switch {
		case f.omitEmpty && isEmptyValue(fv):
			if raw, ok := extra[f.name]; ok {
				member(f.name, raw)
			}
		case f.emptyList && fv.IsNil():
			member(f.name, []byte("[]"))
		default:
			b, err := marshalNoEscape(fv.Interface())
			if err != nil {
				return nil, prefixPath(f.name, err)
			}
			member(f.name, b)
		}
	}
	if len(extra) > 0 {
		names := make([]string, 0, len(extra))
		for name := range extra {
			if _, known := info.byName[name]; !known {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			member(name, extra[name])
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// marshalNoEscape is json.Marshal without HTML escaping, so links in events keep their
// spelling ("&" rather than "\u0026").
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func writeKey(buf *bytes.Buffer, name string) {
	b, _ := marshalNoEscape(name) // a string always encodes
	buf.Write(b)
	buf.WriteByte(':')
}

// isEmptyValue is encoding/json's notion of empty, which omitempty uses.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
