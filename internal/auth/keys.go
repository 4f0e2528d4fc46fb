package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Bucket is the KV bucket holding API keys.
const Bucket = "evtctl_keys"

// DefaultOwner is the tenant of the bootstrap admin key and the static
// admin token.
const DefaultOwner = "default"

// staticKeyID names the static admin token in logs and revocation events.
const staticKeyID = "admin-token"

// storedKey is what the KV bucket holds: never the secret, only its hash.
type storedKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Owner     string     `json:"owner"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Hash      string     `json:"hash"`
}

func (k storedKey) public() proto.APIKey {
	return proto.APIKey{ID: k.ID, Name: k.Name, Owner: k.Owner, Scopes: k.Scopes, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt}
}

// Errors returned by Authenticate.
var (
	ErrNoToken      = errors.New("no token")
	ErrInvalidToken = errors.New("invalid token")
	ErrExpiredToken = errors.New("expired token")
	// ErrInvalidOwner: a key stored before owners were checked whose owner
	// could not name a tenant's subjects (too long, control characters).
	ErrInvalidOwner = errors.New("key owner not valid")
)

// Keys authenticates tokens against the stored keys.
type Keys struct {
	coll        *store.Collection[storedKey]
	adminHash   [32]byte
	hasAdmin    bool
	now         func() time.Time
	mu          sync.Mutex
	revokeFuncs []func(keyID string)
	// createMu serialises the quota check and the write of key creates on
	// this node (CreateHandler).
	createMu sync.Mutex
	// jwt verifies tokens shaped like JWTs when auth.jwt is configured.
	jwt *JWT
}

// UseJWT makes Authenticate accept JWTs verified by v (nil: none).
func (k *Keys) UseJWT(v *JWT) { k.jwt = v }

// OpenKeys opens the key bucket. adminToken, when not empty, is accepted as
// an admin credential of DefaultOwner without being stored.
func OpenKeys(ctx context.Context, js jetstream.JetStream, replicas int, adminToken string) (*Keys, error) {
	coll, err := store.OpenCollection[storedKey](ctx, js, Bucket, replicas)
	if err != nil {
		return nil, err
	}
	k := &Keys{coll: coll, now: time.Now}
	if adminToken != "" {
		k.adminHash, k.hasAdmin = sha256.Sum256([]byte(adminToken)), true
	}
	coll.Subscribe(func(ch store.Change[storedKey]) {
		if ch.Deleted {
			k.notifyRevoked(ch.ID)
		}
	})
	return k, nil
}

// Close stops watching the bucket.
func (k *Keys) Close() { k.coll.Close() }

// OnRevoke registers fn to be called when a key is revoked on any node.
// fn runs on the watcher goroutine and must not block.
func (k *Keys) OnRevoke(fn func(keyID string)) {
	k.mu.Lock()
	k.revokeFuncs = append(k.revokeFuncs, fn)
	k.mu.Unlock()
}

func (k *Keys) notifyRevoked(id string) {
	k.mu.Lock()
	fns := slices.Clone(k.revokeFuncs)
	k.mu.Unlock()
	for _, fn := range fns {
		fn(id)
	}
}

// Authenticate returns the principal for a bearer token.
func (k *Keys) Authenticate(token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrNoToken
	}
	if k.hasAdmin {
		sum := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(sum[:], k.adminHash[:]) == 1 {
			return Principal{KeyID: staticKeyID, Name: "static admin token", Owner: DefaultOwner, Scopes: []string{proto.ScopeAdmin}}, nil
		}
	}
	if k.jwt != nil && LooksLikeJWT(token) {
		return k.jwt.Verify(token)
	}
	id, secret, ok := splitToken(token)
	if !ok {
		return Principal{}, ErrInvalidToken
	}
	sk, ok := k.coll.Get(id)
	if !ok || !equalHash(sk.Hash, hashSecret(secret)) {
		return Principal{}, ErrInvalidToken
	}
	if sk.ExpiresAt != nil && !k.now().Before(*sk.ExpiresAt) {
		return Principal{}, ErrExpiredToken
	}
	if proto.CheckOwner(sk.Owner) != "" {
		return Principal{}, ErrInvalidOwner
	}
	return Principal{KeyID: sk.ID, Name: sk.Name, Owner: sk.Owner, Scopes: sk.Scopes}, nil
}

// Valid reports whether the key behind a principal still exists and has
// not expired (for long-lived streams).
func (k *Keys) Valid(p Principal) bool {
	if p.JWT() {
		return !p.ExpiresAt.IsZero() && k.now().Before(p.ExpiresAt)
	}
	if p.KeyID == staticKeyID {
		return k.hasAdmin
	}
	sk, ok := k.coll.Get(p.KeyID)
	return ok && (sk.ExpiresAt == nil || k.now().Before(*sk.ExpiresAt))
}

// ExpiresAt returns when the key id expires; ok is false for a key without
// expiry, the static admin token and unknown keys. Streams use it to close
// themselves when their key expires (like revocation, within a second).
func (k *Keys) ExpiresAt(id string) (t time.Time, ok bool) {
	sk, found := k.coll.Get(id)
	if !found || sk.ExpiresAt == nil {
		return time.Time{}, false
	}
	return *sk.ExpiresAt, true
}

// NewKey is a request to create a key.
type NewKey struct {
	Name      string
	Owner     string
	Scopes    []string
	ExpiresAt *time.Time
}

// maxKeyName bounds a key's name.
const maxKeyName = 200

// Validate checks a NewKey; it returns the field and reason of the first
// problem. The owner becomes a token of every subject of the tenant's
// events, so it is held to proto.CheckOwner.
func (n NewKey) Validate() (field, reason string) {
	switch {
	case strings.TrimSpace(n.Name) == "":
		return "name", "is required"
	case strings.TrimSpace(n.Owner) == "":
		return "owner", "is required"
	case len(n.Scopes) == 0:
		return "scopes", "must name at least one scope (" + strings.Join(proto.Scopes(), ", ") + ")"
	case len(n.Scopes) > len(proto.Scopes()):
		return "scopes", "must name each scope at most once"
	}
	if reason := proto.CheckText(n.Name, maxKeyName); reason != "" {
		return "name", reason
	}
	if reason := proto.CheckOwner(n.Owner); reason != "" {
		return "owner", reason
	}
	for i, s := range n.Scopes {
		if !slices.Contains(proto.Scopes(), s) {
			return fmt.Sprintf("scopes[%d]", i), fmt.Sprintf("%q is not a scope (want one of %s)", s, strings.Join(proto.Scopes(), ", "))
		}
	}
	return "", ""
}

// Create stores a new key and returns it with its token, which is not kept.
func (k *Keys) Create(ctx context.Context, n NewKey) (proto.APIKey, error) {
	if f, r := n.Validate(); f != "" {
		return proto.APIKey{}, fmt.Errorf("%s %s", f, r)
	}
	scopes := slices.Clone(n.Scopes)
	sort.Strings(scopes)
	scopes = slices.Compact(scopes)
	for {
		id := NewID(keyIDLen)
		secret := newSecret()
		sk := storedKey{ID: id, Name: n.Name, Owner: n.Owner, Scopes: scopes, CreatedAt: k.now().UTC().Truncate(time.Millisecond), ExpiresAt: n.ExpiresAt, Hash: hashSecret(secret)}
		err := k.coll.Create(ctx, id, sk)
		if errors.Is(err, store.ErrExists) {
			continue // a 60-bit id collided; draw again
		}
		if err != nil {
			return proto.APIKey{}, err
		}
		pub := sk.public()
		pub.Token = tokenPrefix + id + "_" + secret
		return pub, nil
	}
}

// Get returns a key's public view.
func (k *Keys) Get(id string) (proto.APIKey, bool) {
	sk, ok := k.coll.Get(id)
	return sk.public(), ok
}

// List returns every key of owner ("" = all), oldest first.
func (k *Keys) List(owner string) []proto.APIKey {
	var out []proto.APIKey
	for _, sk := range k.coll.List() {
		if owner == "" || sk.Owner == owner {
			out = append(out, sk.public())
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// Revoke deletes a key; its streams are closed by OnRevoke listeners on
// every node.
func (k *Keys) Revoke(ctx context.Context, id string) error {
	return k.coll.Delete(ctx, id)
}

// keyQuota refuses one more key for owner when it has limit keys. The
// count is the node's mirror of the key bucket, which a create on this node
// updates before it returns; creates on different nodes at the same moment
// may exceed the limit by one per node (docs/api.md).
func (k *Keys) keyQuota(owner string, limit int) error {
	n := k.coll.Count(func(sk storedKey) bool { return sk.Owner == owner })
	return httpapi.Quota(n, limit, fmt.Sprintf("Owner %q", owner), "API keys", "limits.keys_per_tenant")
}

// Count returns the number of stored keys.
func (k *Keys) Count() int { return k.coll.Len() }

// Bootstrap creates the first admin key when no key exists and no static
// admin token is configured. It returns the new key, or ok=false.
func (k *Keys) Bootstrap(ctx context.Context) (proto.APIKey, bool, error) {
	if k.hasAdmin || k.coll.Len() > 0 {
		return proto.APIKey{}, false, nil
	}
	key, err := k.Create(ctx, NewKey{Name: "bootstrap admin", Owner: DefaultOwner, Scopes: []string{proto.ScopeAdmin}})
	if err != nil {
		return proto.APIKey{}, false, err
	}
	return key, true, nil
}
