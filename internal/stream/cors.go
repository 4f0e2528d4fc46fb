package stream

import (
	"net/http"
	"strings"
)

// corsHeaders are the headers of an answer that the CORS middleware
// (httpapi.CORS) may have set and that an SSE stream, which writes its own
// response head on the hijacked connection, must repeat.
var corsHeaders = []string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Vary"}

// sseHeadFor is sseHead with the CORS headers set on h (none for a
// request without Origin from a gateway allowing no origin). Their values
// come from the configuration (an allowed origin is one listed exactly),
// never from the request as such.
func sseHeadFor(h http.Header) []byte {
	var extra strings.Builder
	for _, k := range corsHeaders {
		for _, v := range h.Values(k) {
			extra.WriteString(k + ": " + v + "\r\n")
		}
	}
	if extra.Len() == 0 {
		return []byte(sseHead)
	}
	head := strings.TrimSuffix(sseHead, "\r\n") // the blank line ending the head
	return []byte(head + extra.String() + "\r\n")
}
