package httpapi

import (
	"net/http"

	"github.com/evtctl/evtctl/pkg/proto"
)

// QuotaExceeded is the answer to a create that would take a tenant (or an
// endpoint) past a per-tenant resource quota: 409 quota_exceeded, naming
// the limit and the configuration key that sets it, e.g. `Owner "acme"
// already has 100 endpoints, the maximum (limits.endpoints_per_tenant);
// delete one first or raise the limit.`
//
// 409 rather than 429: waiting does not help, deleting one of the
// resources (or raising the limit) does. Rather than 403: the key may
// create such resources; the tenant is full.
func QuotaExceeded(holder string, limit int, things, configKey string) *Error {
	return Errorf(http.StatusConflict, proto.CodeQuotaExceeded,
		"%s already has %d %s, the maximum (%s); delete one first or raise the limit.", holder, limit, things, configKey)
}

// Quota returns QuotaExceeded when n, the holder's count of things, has
// reached limit; a limit of 0 or less is no limit.
func Quota(n, limit int, holder, things, configKey string) error {
	if limit > 0 && n >= limit {
		return QuotaExceeded(holder, limit, things, configKey)
	}
	return nil
}
