package proto

import (
	"strconv"
	"time"
)

// Extract validates one event of family f (one JSON value, any insignificant whitespace)
// and returns its routing attributes, or every problem found. Index is left 0 in each
// FieldError; the caller, which knows the record's position in the request, sets it.
// The Routing is the zero value whenever problems are returned.
//
// It reads the input once and builds no typed structs, so it is cheap enough for the
// ingest path (see BenchmarkExtractSound). It validates the whole input as JSON, but only
// the members routing depends on (docs/contract.md#families) beyond that: payloads are forwarded as
// ingested, and rejecting unknown or extra fields would break senders for nothing.
//
// Optional members that are null count as absent, since many senders write null for "no
// value". When a member occurs twice the last one counts, as in encoding/json.
func Extract(f Family, data []byte) (Routing, []FieldError) {
	switch f {
	case FamilySound, FamilyAnalysis, FamilyIdentification, FamilyComposite:
	default:
		return Routing{}, []FieldError{{Reason: "is of unknown event family " + strconv.Quote(string(f))}}
	}
	x := extractor{r: reader{data: data}}
	if x.r.peek() != '{' {
		// Tell invalid JSON apart from valid JSON of the wrong shape.
		x.r.value()
		x.r.end()
		if x.r.failed() {
			return Routing{}, []FieldError{{Reason: x.r.syntaxError()}}
		}
		return Routing{}, []FieldError{{Reason: "must be a JSON object"}}
	}
	x.r.begin()
	var rt Routing
	switch f {
	case FamilySound:
		rt = x.sound()
	case FamilyAnalysis:
		rt = x.analysis()
	case FamilyIdentification:
		rt = x.identification()
	case FamilyComposite:
		rt = x.composite()
	}
	x.r.end()
	if x.r.failed() {
		// Field checks on a truncated or broken document mean nothing: report only this.
		return Routing{}, []FieldError{{Reason: x.r.syntaxError()}}
	}
	if x.r.suspect {
		x.addStrict(StrictProblems(data))
	}
	if len(x.errs) > 0 {
		return Routing{}, x.errs
	}
	rt.Family = f
	return rt, nil
}

// addStrict adds the strict problems of fields not already reported (an
// out-of-range confidence is reported once, as out of 0..1).
func (x *extractor) addStrict(ps []FieldError) {
	n := len(x.errs)
next:
	for _, p := range ps {
		for _, e := range x.errs[:n] {
			if e.Field == p.Field {
				continue next
			}
		}
		x.errs = append(x.errs, p)
	}
}

// Reasons shared by several checks.
const (
	reasonRequired = "is required"
	reasonString   = "must be a string"
	reasonNonEmpty = "must not be empty"
	reasonNumber   = "must be a number"
	reasonObject   = "must be an object"
	reasonArray    = "must be an array"
	reasonStrNull  = "must be a string or null"
	reasonUnit     = "must be between 0 and 1"
)

type extractor struct {
	r    reader
	errs []FieldError
}

func (x *extractor) add(field, reason string) {
	x.errs = append(x.errs, FieldError{Field: field, Reason: reason})
}

// reqString checks a required non-empty string and returns its text.
func (x *extractor) reqString(field string, v val) string {
	switch {
	case v.k == kindAbsent:
		x.add(field, reasonRequired)
	case v.k != kindString:
		x.add(field, reasonString)
	case v.empty():
		x.add(field, reasonNonEmpty)
	default:
		return x.r.text(v)
	}
	return ""
}

// reqIdent checks a required routing value (CheckIdent) and returns it.
func (x *extractor) reqIdent(field string, v val) string {
	s := x.reqString(field, v)
	if s != "" {
		if reason := CheckIdent(s); reason != "" {
			x.add(field, reason)
			return ""
		}
	}
	return s
}

// optIdent checks an optional routing value that may be null or "".
func (x *extractor) optIdent(field string, v val) string {
	s := x.optStringOrNull(field, v)
	if s != "" {
		if reason := CheckIdent(s); reason != "" {
			x.add(field, reason)
			return ""
		}
	}
	return s
}

// reqTime checks a required time string.
func (x *extractor) reqTime(field string, v val) time.Time {
	switch v.k {
	case kindAbsent:
		x.add(field, reasonRequired)
	case kindString:
		if v.end-v.start > MaxTimeLen+2 {
			x.add(field, timeReason)
			break
		}
		if t, ok := parseTime(x.r.rawText(v)); ok {
			return t
		}
		x.add(field, timeReason)
	default:
		x.add(field, reasonString)
	}
	return time.Time{}
}

// optKind checks an optional member (absent or null allowed) against kind k.
func (x *extractor) optKind(field string, v val, k kind, reason string) {
	if v.k != kindAbsent && v.k != kindNull && v.k != k {
		x.add(field, reason)
	}
}

// reqKind checks a required member against kind k.
func (x *extractor) reqKind(field string, v val, k kind, reason string) {
	if v.k == kindAbsent {
		x.add(field, reasonRequired)
	} else if v.k != k {
		x.add(field, reason)
	}
}

// optStringOrNull returns the text of an optional string member that may be null.
func (x *extractor) optStringOrNull(field string, v val) string {
	switch v.k {
	case kindString:
		return x.r.text(v)
	case kindAbsent, kindNull:
	default:
		x.add(field, reasonStrNull)
	}
	return ""
}

// soundNumbers are the optional numeric members of a sound event.
var soundNumbers = [...]string{"confidence", "confidence_threshold", "sound_level", "sound_level_threshold"}

// sound reads a sound event (docs/sources.md#sound-event).
func (x *extractor) sound() Routing {
	r := &x.r
	var id, label, mic, created, micro, edge val
	var nums [len(soundNumbers)]val
	for n := 0; r.next('}', &n); {
		switch string(r.key()) {
		case "id":
			id = r.value()
		case "label_id":
			label = r.value()
		case "mic_id":
			mic = r.value()
		case "created_at":
			created = r.value()
		case "confidence":
			nums[0] = r.value()
		case "confidence_threshold":
			nums[1] = r.value()
		case "sound_level":
			nums[2] = r.value()
		case "sound_level_threshold":
			nums[3] = r.value()
		case "microphone":
			edge = val{}
			if r.peek() != '{' {
				micro = r.value()
				break
			}
			micro = val{k: kindObject}
			r.begin()
			for m := 0; r.next('}', &m); {
				if string(r.key()) == "edge_id" {
					edge = r.value()
				} else {
					r.value()
				}
			}
		default:
			r.value()
		}
	}
	var rt Routing
	rt.ID = x.reqIdent("id", id)
	rt.EventType = x.reqIdent("label_id", label)
	rt.DeviceID = x.reqIdent("mic_id", mic)
	rt.Time = x.reqTime("created_at", created)
	for i, name := range soundNumbers {
		x.optKind(name, nums[i], kindNumber, reasonNumber)
	}
	x.optKind("microphone", micro, kindObject, reasonObject)
	rt.AgentID = x.optIdent("microphone.edge_id", edge)
	return rt
}

// analysis reads an analysis result (docs/sources.md#analysis-result).
func (x *extractor) analysis() Routing {
	r := &x.r
	var dev, ana, scene, ts, det val
	var detErrs []FieldError // reset if "detections" repeats: only the last one counts
	for n := 0; r.next('}', &n); {
		switch string(r.key()) {
		case "deviceId":
			dev = r.value()
		case "analysisId":
			ana = r.value()
		case "sceneId":
			scene = r.value()
		case "timestamp":
			ts = r.value()
		case "detections":
			detErrs = detErrs[:0]
			if r.peek() != '[' {
				det = r.value()
				break
			}
			det = val{k: kindArray}
			r.begin()
			for i := 0; r.next(']', &i); {
				if r.peek() != '{' {
					if v := r.value(); v.k != kindAbsent {
						detErrs = append(detErrs, FieldError{Field: indexed("detections", i-1), Reason: reasonObject})
					}
					continue
				}
				r.begin()
				var typ, conf val
				for m := 0; r.next('}', &m); {
					switch string(r.key()) {
					case "type":
						typ = r.value()
					case "confidence":
						conf = r.value()
					default:
						r.value()
					}
				}
				detErrs = x.detection(detErrs, i-1, typ, conf)
			}
		default:
			r.value()
		}
	}
	var rt Routing
	d := x.reqIdent("deviceId", dev)
	a := x.reqIdent("analysisId", ana)
	x.optKind("sceneId", scene, kindString, reasonString)
	rt.Time = x.reqTime("timestamp", ts)
	x.reqKind("detections", det, kindArray, reasonArray)
	x.errs = append(x.errs, detErrs...)
	if len(x.errs) == 0 {
		// One allocation for the identity; the timestamp as written, so two spellings of
		// one instant stay two results (the sender chose the spelling).
		t := r.rawText(ts)
		b := make([]byte, 0, len(d)+len(a)+len(t)+2)
		b = append(append(append(append(append(b, d...), '/'), a...), '/'), t...)
		rt.ID = string(b)
	}
	rt.DeviceID = d
	rt.EventType = EventTypeAnalysis
	return rt
}

func (x *extractor) detection(errs []FieldError, i int, typ, conf val) []FieldError {
	switch {
	case typ.k == kindAbsent:
		errs = append(errs, FieldError{Field: indexed("detections", i) + ".type", Reason: reasonRequired})
	case typ.k != kindString:
		errs = append(errs, FieldError{Field: indexed("detections", i) + ".type", Reason: reasonString})
	case typ.empty():
		errs = append(errs, FieldError{Field: indexed("detections", i) + ".type", Reason: reasonNonEmpty})
	}
	switch conf.k {
	case kindAbsent:
		errs = append(errs, FieldError{Field: indexed("detections", i) + ".confidence", Reason: reasonRequired})
	case kindNumber:
		// A number that overflows float64 parses as ±Inf with an error: out of range too.
		c, _ := strconv.ParseFloat(string(x.r.data[conf.start:conf.end]), 64)
		if !(c >= 0 && c <= 1) {
			errs = append(errs, FieldError{Field: indexed("detections", i) + ".confidence", Reason: reasonUnit})
		}
	default:
		errs = append(errs, FieldError{Field: indexed("detections", i) + ".confidence", Reason: reasonNumber})
	}
	return errs
}

// identification reads a face identification event (docs/sources.md#identification-event).
func (x *extractor) identification() Routing {
	r := &x.r
	var typ, cam, camID, agent, cands, ev, evID, date val
	var wl []string
	var candErrs []FieldError
	for n := 0; r.next('}', &n); {
		switch string(r.key()) {
		case "type":
			typ = r.value()
		case "camera":
			camID, agent = val{}, val{}
			if r.peek() != '{' {
				cam = r.value()
				break
			}
			cam = val{k: kindObject}
			r.begin()
			for m := 0; r.next('}', &m); {
				switch string(r.key()) {
				case "id":
					camID = r.value()
				case "agent_id":
					agent = r.value()
				default:
					r.value()
				}
			}
		case "event":
			evID, date = val{}, val{}
			if r.peek() != '{' {
				ev = r.value()
				break
			}
			ev = val{k: kindObject}
			r.begin()
			for m := 0; r.next('}', &m); {
				switch string(r.key()) {
				case "id":
					evID = r.value()
				case "detection_date":
					date = r.value()
				default:
					r.value()
				}
			}
		case "candidates":
			wl, candErrs = wl[:0], candErrs[:0]
			if r.peek() != '[' {
				cands = r.value()
				break
			}
			cands = val{k: kindArray}
			r.begin()
			for i := 0; r.next(']', &i); {
				if r.peek() != '{' {
					if v := r.value(); v.k != kindAbsent {
						candErrs = append(candErrs, FieldError{Field: indexed("candidates", i-1), Reason: reasonObject})
					}
					continue
				}
				wl, candErrs = x.candidate(wl, candErrs, i-1)
			}
		default:
			r.value()
		}
	}
	var rt Routing
	rt.EventType = x.reqIdent("type", typ)
	x.reqKind("camera", cam, kindObject, reasonObject)
	if cam.k == kindObject {
		rt.DeviceID = x.reqIdent("camera.id", camID)
		rt.AgentID = x.optIdent("camera.agent_id", agent)
	}
	x.optKind("candidates", cands, kindArray, reasonArray)
	x.errs = append(x.errs, candErrs...)
	x.reqKind("event", ev, kindObject, reasonObject)
	if ev.k == kindObject {
		rt.ID = x.reqIdent("event.id", evID)
		rt.Time = x.reqTime("event.detection_date", date)
	}
	if len(wl) > MaxWatchlists {
		x.add("candidates", "must name at most "+strconv.Itoa(MaxWatchlists)+" distinct watchlists (profile_groups[].id)")
	}
	if len(wl) > 0 {
		rt.Watchlists = wl
	}
	return rt
}

// candidate reads candidates[i] (at its '{'), adding its watchlist ids to wl.
func (x *extractor) candidate(wl []string, errs []FieldError, i int) ([]string, []FieldError) {
	r := &x.r
	r.begin()
	// Marks let a repeated "profile_groups" replace the earlier one, as in the typed decoder.
	wlMark, errMark := len(wl), len(errs)
	for m := 0; r.next('}', &m); {
		if string(r.key()) != "profile_groups" {
			r.value()
			continue
		}
		wl, errs = wl[:wlMark], errs[:errMark]
		if r.peek() != '[' {
			if v := r.value(); v.k != kindAbsent && v.k != kindNull {
				errs = append(errs, FieldError{Field: indexed("candidates", i) + ".profile_groups", Reason: reasonArray})
			}
			continue
		}
		r.begin()
		for j := 0; r.next(']', &j); {
			if r.peek() != '{' {
				if v := r.value(); v.k != kindAbsent {
					errs = append(errs, FieldError{Field: indexed(indexed("candidates", i)+".profile_groups", j-1), Reason: reasonObject})
				}
				continue
			}
			r.begin()
			var id val
			for k := 0; r.next('}', &k); {
				if string(r.key()) == "id" {
					id = r.value()
				} else {
					r.value()
				}
			}
			switch id.k {
			case kindString:
				if id.empty() {
					break
				}
				if reason := checkWatchlist(r.text(id)); reason != "" {
					errs = append(errs, FieldError{Field: indexed(indexed("candidates", i)+".profile_groups", j-1) + ".id", Reason: reason})
					break
				}
				wl = addDistinct(wl, r, id)
			case kindAbsent:
				errs = append(errs, FieldError{Field: indexed(indexed("candidates", i)+".profile_groups", j-1) + ".id", Reason: reasonRequired})
			default:
				errs = append(errs, FieldError{Field: indexed(indexed("candidates", i)+".profile_groups", j-1) + ".id", Reason: reasonString})
			}
		}
	}
	return wl, errs
}

// addDistinct appends the text of v unless wl holds it. A linear scan beats a map for the
// handful of watchlists an identification carries.
func addDistinct(wl []string, r *reader, v val) []string {
	if !v.slow {
		raw := r.data[v.start+1 : v.end-1]
		for _, w := range wl {
			if w == string(raw) {
				return wl
			}
		}
		return append(wl, string(raw))
	}
	s := r.text(v)
	for _, w := range wl {
		if w == s {
			return wl
		}
	}
	return append(wl, s)
}

// composite reads a composite event (docs/sources.md#composite-payload).
func (x *extractor) composite() Routing {
	r := &x.r
	var id, group, started, rule, events val
	for n := 0; r.next('}', &n); {
		switch string(r.key()) {
		case "id":
			id = r.value()
		case "group_key":
			group = r.value()
		case "started_at":
			started = r.value()
		case "rule":
			rule = r.value()
		case "events":
			events = r.value()
		default:
			r.value()
		}
	}
	var rt Routing
	rt.ID = x.reqIdent("id", id)
	x.reqString("group_key", group)
	rt.Time = x.reqTime("started_at", started)
	x.reqKind("rule", rule, kindObject, reasonObject)
	x.reqKind("events", events, kindArray, reasonArray)
	rt.EventType = EventTypeComposite
	return rt
}

// indexed returns name[i]; only called on the error path.
func indexed(name string, i int) string {
	return name + "[" + strconv.Itoa(i) + "]"
}
