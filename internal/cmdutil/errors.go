// Package cmdutil holds what every command shares: the Factory that hands out
// streams, configuration and the API client, the error kinds that decide the
// process exit code, and the output exporter.
package cmdutil

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/evtctl/evtctl/internal/apiclient"
)

// Exit codes of docs/contract.md#exit-codes.
const (
	ExitOK           = 0
	ExitFailure      = 1
	ExitUsage        = 2
	ExitNotFound     = 3
	ExitUnauthorized = 4
)

// FlagError is a usage error: bad flags or arguments. Exit code 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError from a format.
func FlagErrorf(format string, a ...any) error {
	return &FlagError{Err: fmt.Errorf(format, a...)}
}

// NotFoundError means the named resource does not exist. Exit code 3.
type NotFoundError struct{ Err error }

func (e *NotFoundError) Error() string { return e.Err.Error() }
func (e *NotFoundError) Unwrap() error { return e.Err }

// AuthError means the server refused the credentials or the scope. Exit code 4.
type AuthError struct{ Err error }

func (e *AuthError) Error() string { return e.Err.Error() }
func (e *AuthError) Unwrap() error { return e.Err }

// ErrSilent fails the command without printing anything more: the command
// already explained itself on stderr.
var ErrSilent = errors.New("silent error")

// ExitCode maps an error returned by a command to the process exit code.
// The gateway's refusals (*apiclient.APIError) map by their HTTP status:
// 401 and 403 are ExitUnauthorized, 404 ExitNotFound, the rest ExitFailure.
func ExitCode(err error) int {
	var fe *FlagError
	var nf *NotFoundError
	var ae *AuthError
	var ee *ExitError
	var api *apiclient.APIError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &fe):
		return ExitUsage
	case errors.As(err, &nf):
		return ExitNotFound
	case errors.As(err, &ae):
		return ExitUnauthorized
	case errors.As(err, &api):
		switch api.Status {
		case http.StatusUnauthorized, http.StatusForbidden:
			return ExitUnauthorized
		case http.StatusNotFound:
			return ExitNotFound
		}
		return ExitFailure
	default:
		return ExitFailure
	}
}

// ExitError carries an explicit exit code (e.g. loadtest assertions).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }
