package hostile

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/evtctl/evtctl/pkg/proto"
)

// ingest is POST /api/v1/events/{fam} of body as JSON with the write key.
func ingest(fam string, body []byte) func(*env) Req {
	return static(Req{Method: "POST", Target: "/api/v1/events/" + fam, Role: roleWrite, CType: "application/json", Body: body, Family: fam})
}

// ingestAs is an ingest with a chosen key, content type and target.
func ingestAs(role, target, ctype string, body []byte, fam string) func(*env) Req {
	return static(Req{Method: "POST", Target: target, Role: role, CType: ctype, Body: body, Family: fam})
}

// Hostile string values for identifiers, by class. long values must be
// refused naming the field (docs/api.md#input-limits); the others may be refused or
// accepted, but accepted ones must be stored and found again.
var (
	longLens = []int{4100, 5000, 100000}
	// grow when percent-escaped into a subject token: 1,400 of them is
	// over NATS's 4 KiB control line once escaped.
	growing = map[string]string{
		"1400 dots":     strings.Repeat(".", 1400),
		"1400 percents": strings.Repeat("%", 1400),
		"1400 stars":    strings.Repeat("*", 1400),
		"1400 NULs":     strings.Repeat("\x00", 1400),
	}
	wildcards = map[string]string{
		"star": "*", "gt": ">", "dot": "a.b", "space": "a b", "dollar": "$JS.API.>", "mixed": "mic.*.>",
		"tab": "\t", "percent": "%2A", "underscore": "_",
	}
	controls = map[string]string{"NUL": "a\x00b", "CRLF": "a\r\nb", "ESC": "\x1b[31mred", "DEL": "\x7f"}
	// raw bytes that are not UTF-8, placed in a JSON string as they are.
	nonUTF8 = map[string]string{"FF FE": "\xff\xfe", "overlong slash": "\xc0\xaf", "surrogate": "\xed\xa0\x80", "lone continuation": "ok\x80"}
	// numbers float64 cannot hold.
	hugeNumbers = map[string]string{"1e999999": "1e999999", "-1e400": "-1e400", "400 digits": "1" + strings.Repeat("0", 399),
		"0.1e310": "0.1e310"}
)

func ingestCases() []Case {
	var cs []Case
	add := func(name string, r func(*env) Req, w Want) { cs = append(cs, Case{Name: name, R: r, Want: w}) }

	// Every routing attribute of every family.
	for _, rf := range routing {
		b := builders[rf.family]
		p := rf.family + " " + rf.field
		for _, n := range longLens {
			add(fmt.Sprintf("%s of %d chars", p, n), ingest(rf.family, b(fields{rf.field: js(long(n))})), bad(rf.field))
		}
		for name, v := range growing {
			add(p+" of "+name, ingest(rf.family, b(fields{rf.field: js(v)})), safe)
		}
		for name, v := range wildcards {
			add(p+" wildcard "+name, ingest(rf.family, b(fields{rf.field: js(v)})), safe)
		}
		for name, v := range controls {
			add(p+" control "+name, ingest(rf.family, b(fields{rf.field: js(v)})), safe)
		}
		for name, v := range nonUTF8 {
			add(p+" non-UTF-8 "+name, ingest(rf.family, b(fields{rf.field: raw(v)})), bad(rf.field))
		}
		add(p+" lone surrogate escape", ingest(rf.family, b(fields{rf.field: `"\ud800x"`})), safe)
		add(p+" number 1e999999", ingest(rf.family, b(fields{rf.field: "1e999999"})), bad(rf.field))
		add(p+" raw NUL in string", ingest(rf.family, b(fields{rf.field: raw("a\x00b")})), codes(400))
	}

	// Numbers outside float64, in the numeric members and anywhere else.
	for _, nf := range numeric {
		b := builders[nf.family]
		for name, v := range hugeNumbers {
			add(fmt.Sprintf("%s %s = %s", nf.family, nf.field, name), ingest(nf.family, b(fields{nf.field: v})), bad(nf.field))
		}
		add(fmt.Sprintf("%s %s = 1e-400 (underflow)", nf.family, nf.field), ingest(nf.family, b(fields{nf.field: "1e-400"})), safe)
	}
	for name, v := range hugeNumbers {
		add("sound extra member = "+name, ingest("sound", soundJSON(fields{"_extra": `"extra":` + v})), bad("extra"))
		add("analysis nested extra = "+name, ingest("analysis", analysisJSON(fields{"_extra": `"extra":{"deep":[` + v + `]}`})), bad("extra"))
	}

	// Invalid UTF-8 anywhere in the payload, not only in routing values.
	for name, v := range nonUTF8 {
		add("sound description non-UTF-8 "+name, ingest("sound", soundJSON(fields{"description": raw(v)})), bad("description"))
		add("analysis sceneId non-UTF-8 "+name, ingest("analysis", analysisJSON(fields{"sceneId": raw(v)})), bad("sceneId"))
		add("identification activity_id non-UTF-8 "+name, ingest("identification", identificationJSON(fields{"activity_id": raw(v)})), bad("activity_id"))
		add("composite group_key non-UTF-8 "+name, ingest("composite", compositeJSON(fields{"group_key": raw(v)})), bad("group_key"))
		add("sound member name non-UTF-8 "+name, ingest("sound", soundJSON(fields{"_extra": raw(v) + `:1`})), codes(400))
	}
	add("composite group_key of 100000 chars", ingest("composite", compositeJSON(fields{"group_key": js(long(100000))})), safe)
	add("identification 2000 distinct watchlists", ingest("identification", identificationJSON(fields{
		"_extra": `"more":0`, "candidates[0].profile_groups[0].id": js("wl_0") + `},{"id":"wl_1"` + manyGroups(2000)})), safe)

	// Batches: all or nothing, even when only the last record is hostile.
	for _, fam := range []string{"sound", "analysis"} {
		for _, ct := range []string{"application/json", "application/x-ndjson"} {
			cs = append(cs, batchCase(fam, ct))
		}
	}
	cs = append(cs, Case{Name: "array of 100000 empty objects", R: ingest("sound", []byte("["+strings.TrimSuffix(strings.Repeat("{},", 100000), ",")+"]")),
		Want: codes(400), Post: atMostDetails(100)})

	// Content types and encodings.
	good := func() []byte { return soundJSON(nil) }
	add("Content-Type text/plain", ingestAs(roleWrite, "/api/v1/events/sound", "text/plain", good(), "sound"), codes(415))
	add("Content-Type form", ingestAs(roleWrite, "/api/v1/events/sound", "application/x-www-form-urlencoded", good(), "sound"), codes(415))
	add("Content-Type multipart", ingestAs(roleWrite, "/api/v1/events/sound", "multipart/form-data; boundary=x", good(), "sound"), codes(415))
	add("Content-Type absent", ingestAs(roleWrite, "/api/v1/events/sound", "", good(), "sound"), codes(202))
	add("Content-Type charset utf-16", ingestAs(roleWrite, "/api/v1/events/sound", "application/json; charset=utf-16", good(), "sound"), safe)
	add("Content-Type 4100 chars", ingestAs(roleWrite, "/api/v1/events/sound", "application/json; x="+long(4100), good(), "sound"), safe)
	add("Content-Type non-UTF-8", ingestAs(roleWrite, "/api/v1/events/sound", "application/\xff\xfejson", good(), "sound"), Want{Codes: []int{400, 415}, Protocol: true})
	add("Content-Type with NUL", ingestAs(roleWrite, "/api/v1/events/sound", "application/json\x00", good(), "sound"), Want{Codes: []int{400, 415}, Protocol: true})
	add("NDJSON type, JSON array body", ingestAs(roleWrite, "/api/v1/events/sound", "application/x-ndjson", []byte("["+string(good())+"]"), "sound"), codes(400))
	add("gzip body with Content-Encoding gzip", withHeader(ingestAs(roleWrite, "/api/v1/events/sound", "application/json", gz(good()), ""), "Content-Encoding: gzip"), safe)
	add("gzip lie: plain body, Content-Encoding gzip", withHeader(ingestAs(roleWrite, "/api/v1/events/sound", "application/json", good(), "sound"), "Content-Encoding: gzip"), safe)
	add("gzip body, no Content-Encoding", ingestAs(roleWrite, "/api/v1/events/sound", "application/json", gz(good()), ""), codes(400))
	add("truncated gzip, Content-Encoding gzip", withHeader(ingestAs(roleWrite, "/api/v1/events/sound", "application/json", gz(good())[:20], ""), "Content-Encoding: gzip"), codes(400, 415))
	add("Content-Encoding br", withHeader(ingestAs(roleWrite, "/api/v1/events/sound", "application/json", good(), "sound"), "Content-Encoding: br"), safe)

	// Bodies that are not one event.
	for name, body := range map[string]string{
		"empty": "", "whitespace": " \n\t ", "null": "null", "number": "123", "string": `"x"`, "garbage": "{oops",
		"trailing garbage": string(good()) + " x", "NUL between tokens": `{"id":"a",` + "\x00" + `"mic_id":"b"}`,
		"deep arrays 100000": strings.Repeat("[", 100000), "deep objects 100000": strings.Repeat(`{"a":`, 100000),
		"deep arrays 500000 closed": strings.Repeat("[", 500000) + strings.Repeat("]", 500000),
	} {
		add("body "+name, ingest("sound", []byte(body)), codes(400, 413))
	}
	add("body empty NDJSON", ingestAs(roleWrite, "/api/v1/events/sound", "application/x-ndjson", nil, "sound"), safe)
	add("body empty array", ingest("sound", []byte("[]")), safe)
	add("body two objects", ingest("sound", append(good(), good()...)), safe)
	add("body with BOM", ingest("sound", append([]byte("\xef\xbb\xbf"), good()...)), safe)
	add("valid event with a 10000-deep extra member", ingest("sound", soundJSON(fields{"_extra": `"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000)})), safe)
	add("duplicate mic_id: long then short", ingest("sound", soundJSON(fields{"_extra": `"mic_id":"short"`, "mic_id": js(long(5000))})), safe)
	add("duplicate mic_id: short then long", ingest("sound", soundJSON(fields{"_extra": `"mic_id":` + js(long(5000))})), bad("mic_id"))
	add("duplicate id", ingest("sound", soundJSON(fields{"_extra": `"id":` + js(uid("dup"))})), safe)

	// Sizes and framing.
	big := tenMB()
	add("JSON body of 10 MB", ingest("sound", big), codes(413))
	add("NDJSON body of 10 MB", ingestAs(roleWrite, "/api/v1/events/sound", "application/x-ndjson", bytes.ReplaceAll(big[1:len(big)-1], []byte("},{"), []byte("}\n{")), "sound"), codes(413))
	add("Content-Length 10 MB, 100 bytes sent", static(Req{Method: "POST", Target: "/api/v1/events/sound", Role: roleWrite, CType: "application/json",
		Body: good()[:100], CLen: 10 << 20, HalfClose: true}), codes(400, 413))
	add("Content-Length longer than the body", static(Req{Method: "POST", Target: "/api/v1/events/sound", Role: roleWrite, CType: "application/json",
		Body: good(), CLen: len(good()) + 50, HalfClose: true}), codes(400))
	add("two different Content-Lengths", static(Req{Method: "POST", Target: "/api/v1/events/sound", Role: roleWrite, CType: "application/json",
		Body: good(), CLen: -1, Header: []string{"Content-Length: 5", "Content-Length: 6"}}), Want{Codes: []int{400}, Protocol: true})
	add("chunked and Content-Length", static(Req{Method: "POST", Target: "/api/v1/events/sound", Role: roleWrite, CType: "application/json",
		Chunked: chunk(good()), Header: []string{"Content-Length: 3"}}), Want{Protocol: true}) // RFC 9112: chunked wins
	add("chunked, well formed", ingestChunked(chunk(soundJSON(nil)), false), codes(202))
	for name, body := range map[string]string{
		"size zz":            "zz\r\n{}\r\n0\r\n\r\n",
		"size overflow":      "ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
		"negative size":      "-2\r\n{}\r\n0\r\n\r\n",
		"no CRLF after data": "2\r\n{}XX0\r\n\r\n",
		"NUL extension":      "2;\x00\r\n{}\r\n0\r\n\r\n",
		"LF only":            "2\n{}\n0\n\n",
	} {
		add("malformed chunked: "+name, ingestChunked([]byte(body), false), Want{Codes: []int{400}, Protocol: true})
	}
	add("malformed chunked: truncated", ingestChunked([]byte("100\r\n{\"id\":\"x\""), true), codes(400))
	add("chunked body over max_body_bytes", ingestChunked(chunk(big), false), codes(413))

	// The family in the path.
	for name, fam := range map[string]string{
		"4100 chars": long(4100), "100000 chars": long(100000), "%FF": "%FF", "%00": "sound%00", "star": "*", "%2A": "%2A",
		"gt": ">", "trailing space": "sound%20", "upper case": "SOUND", "%zz": "%zz", "dot": "sound.x",
	} {
		add("family "+name, ingestAs(roleWrite, "/api/v1/events/"+fam, "application/json", good(), ""), Want{Codes: []int{400, 404, 414}, Protocol: true})
	}

	// The owner an admin ingests for, and a writer trying another owner.
	add("write key ?owner=globex", ingestAs(roleWrite, "/api/v1/events/sound?owner=globex", "application/json", good(), ""), codes(403))
	add("write key ?owner=%zz", ingestAs(roleWrite, "/api/v1/events/sound?owner=%zz", "application/json", good(), ""), codes(400, 403))
	for _, n := range longLens {
		add(fmt.Sprintf("admin ?owner= of %d chars", n), ingestAs(roleAdmin, "/api/v1/events/sound?owner="+long(n), "application/json", good(), ""), bad("owner"))
	}
	for name, o := range map[string]string{"%FF": "%FF", "NUL": "%00", "CRLF": "a%0D%0Ab", "ESC": "%1B%5B31m", "1400 dots": strings.Repeat(".", 1400)} {
		add("admin ?owner= "+name, ingestAs(roleAdmin, "/api/v1/events/sound?owner="+o, "application/json", good(), ""), bad("owner"))
	}
	for name, o := range map[string]string{"star": "*", "gt": "%3E", "dot": "a.b", "space": "a+b", "dollar": "$G"} {
		add("admin ?owner= wildcard "+name, ingestAs(roleAdmin, "/api/v1/events/sound?owner="+o, "application/json", good(), ""), safe)
	}
	for name, o := range map[string]string{"%zz": "%zz", "%%%": "%%%", "truncated %4": "ab%4"} {
		add("admin ?owner= bad escape "+name, ingestAs(roleAdmin, "/api/v1/events/sound?owner="+o, "application/json", good(), ""), codes(400))
	}
	add("ingest ?foo=%zz", ingestAs(roleWrite, "/api/v1/events/sound?foo=%zz", "application/json", good(), "sound"), codes(400))
	return cs
}

// batchCase: a batch whose first record is good and whose second has a
// 4,100-character device id; nothing of it may be stored.
func batchCase(fam, ct string) Case {
	b := builders[fam]
	dev := map[string]string{"sound": "mic_id", "analysis": "deviceId"}[fam]
	return Case{
		Name: fmt.Sprintf("%s batch (%s), second record with a 4100-char %s", fam, ct, dev),
		R: func(e *env) Req {
			first := b(nil)
			for _, id := range identities(fam, "", first) {
				e.absent[id] = "batch " + fam + " " + ct
			}
			second := b(fields{dev: js(long(4100))})
			body := []byte("[" + string(first) + "," + string(second) + "]")
			if strings.Contains(ct, "ndjson") {
				body = []byte(string(first) + "\n" + string(second) + "\n")
			}
			return Req{Method: "POST", Target: "/api/v1/events/" + fam, Role: roleWrite, CType: ct, Body: body, Family: fam}
		},
		Want: bad(dev),
		Post: func(e *env, r *Resp) []string {
			var eb proto.ErrorBody
			if json.Unmarshal(r.Body, &eb) == nil && r.Status == 400 {
				for _, d := range eb.Error.Details {
					if d.Index == 1 && strings.HasPrefix(d.Field, dev) {
						return nil
					}
				}
				return []string{"the error does not name record 1's " + dev}
			}
			return nil
		},
	}
}

func atMostDetails(n int) func(*env, *Resp) []string {
	return func(e *env, r *Resp) []string {
		var eb proto.ErrorBody
		if json.Unmarshal(r.Body, &eb) == nil && len(eb.Error.Details) > n {
			return []string{fmt.Sprintf("%d details listed, want at most %d", len(eb.Error.Details), n)}
		}
		return nil
	}
}

func manyGroups(n int) string {
	var b strings.Builder
	for i := 2; i < n; i++ {
		fmt.Fprintf(&b, `},{"id":"wl_%d"`, i)
	}
	return b.String()
}

func withHeader(f func(*env) Req, h ...string) func(*env) Req {
	return func(e *env) Req {
		r := f(e)
		r.Header = append(r.Header, h...)
		return r
	}
}

func ingestChunked(body []byte, halfClose bool) func(*env) Req {
	return static(Req{Method: "POST", Target: "/api/v1/events/sound", Role: roleWrite, CType: "application/json",
		Chunked: body, HalfClose: halfClose, Family: "sound"})
}

// chunk is body as a valid chunked encoding (chunks of 64 KiB).
func chunk(body []byte) []byte {
	var b bytes.Buffer
	for len(body) > 0 {
		n := min(len(body), 64<<10)
		fmt.Fprintf(&b, "%x\r\n", n)
		b.Write(body[:n])
		b.WriteString("\r\n")
		body = body[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// tenMB is a JSON array of valid sound events, 10 MB long.
func tenMB() []byte {
	ev := soundJSON(fields{"id": js("big")})
	var b bytes.Buffer
	b.WriteByte('[')
	for b.Len() < 10<<20 {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(ev)
	}
	b.WriteByte(']')
	return b.Bytes()
}
