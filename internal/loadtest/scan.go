package loadtest

import "bytes"

var tsKey = []byte(`"ts_ns"`)

// scanTimestamps calls fn with every integer that follows a "ts_ns" key in
// msg, wherever it is nested and however many a message holds (a server
// may batch several events in one frame), and returns how many "ts_ns"
// keys had no integer value. A string value ("ts_ns":"123") counts too:
// some templates quote it.
func scanTimestamps(msg []byte, fn func(tsNs int64)) (bad int) {
	for {
		i := bytes.Index(msg, tsKey)
		if i < 0 {
			return bad
		}
		msg = msg[i+len(tsKey):]
		k := 0
		for k < len(msg) && (msg[k] == ' ' || msg[k] == '\t' || msg[k] == '\r' || msg[k] == '\n' || msg[k] == ':' || msg[k] == '"') {
			k++
		}
		start, n := k, int64(0)
		for ; k < len(msg) && msg[k] >= '0' && msg[k] <= '9' && k-start < 19; k++ {
			n = n*10 + int64(msg[k]-'0')
		}
		if k == start {
			bad++
			continue
		}
		fn(n)
		msg = msg[k:]
	}
}
