// Package openapi serves the OpenAPI 3.1 description of the gateway's HTTP
// API. The document is written by hand (openapi.json) so that it can say
// what the code cannot infer — payload schemas, error cases, examples — and
// a test walks the server's route table and fails on any route the
// document does not describe, or any path it describes that does not exist.
package openapi

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI document.
func Document() []byte { return document }

// Handler serves the document.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(document)
	})
}
