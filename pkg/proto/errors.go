package proto

// ErrorBody is the body of every error response (docs/contract.md#errors):
//
//	{"error":{"code":"validation_failed","message":"…","details":[…]}}
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes one failed request. Code is stable and meant for programs; Message
// is a human sentence that may change between versions.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Details lists each problem of an ingest or management request, so a client can fix
	// every record at once instead of one per round trip.
	Details []FieldError `json:"details,omitempty"`
}

// FieldError is one problem with one record of an ingest request (or one field of a
// management request, with Index 0).
type FieldError struct {
	Index  int    `json:"index"`
	Field  string `json:"field"`  // JSON path: "created_at", "camera.id", "detections[1].confidence", "" for the whole record
	Reason string `json:"reason"` // sentence fragment that follows the field name, e.g. "is required"
}

// Error codes of ErrorDetail.Code. They are part of the contract: clients switch on them.
const (
	CodeInvalidJSON          = "invalid_json"
	CodeValidationFailed     = "validation_failed"
	CodeUnknownFamily        = "unknown_family"
	CodeBodyTooLarge         = "body_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not_found"
	CodeRateLimited          = "rate_limited"
	CodeTooManyStreams       = "too_many_streams"
	CodeOverloaded           = "overloaded"
	CodeBadRequest           = "bad_request"
	CodeInvalidCursor        = "invalid_cursor"
	CodeConflict             = "conflict"
	CodeQuotaExceeded        = "quota_exceeded"
	CodeInternal             = "internal"
	CodeUnavailable          = "unavailable"
	CodeStorageFull          = "storage_full"
	CodeMethodNotAllowed     = "method_not_allowed"
)
