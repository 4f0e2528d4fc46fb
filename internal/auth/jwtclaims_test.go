package auth

import (
	"encoding/json"
	"slices"
	"testing"
)

func decodeClaims(t *testing.T, js string) *tokenClaims {
	t.Helper()
	c := &tokenClaims{names: &claimNames{owner: "sub", scopes: "scope", devices: "devices"}}
	if err := json.Unmarshal([]byte(js), c); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return c
}

// TestTokenClaimsReadsOnlyTopLevelExactNames: names match exactly (JWT
// claim names are case-sensitive), escaped names are unescaped, nested
// members are not claims, the last of a repeated name wins.
func TestTokenClaimsReadsOnlyTopLevelExactNames(t *testing.T) {
	c := decodeClaims(t, `{"EXP": 1, "nested": {"sub": "evil", "exp": 2, "x": ["}", "\""]},
		"s\u0075b": "acme", "scope": ["device:read"], "devices": "cam-1 cam-2", "exp": 10, "exp": 20, "jti": "j\"1"}`)
	if c.exp == nil || c.exp.Unix() != 20 {
		t.Fatalf("exp = %v, want 20 (the last exp; EXP and nested exp are not it)", c.exp)
	}
	if !c.ownerOK || c.owner != "acme" || c.jti != `j"1` {
		t.Fatalf("owner %q (%v), jti %q", c.owner, c.ownerOK, c.jti)
	}
	if !slices.Equal(c.scopes, []string{"device:read"}) || !slices.Equal(c.devices, []string{"cam-1", "cam-2"}) || !c.devicesPresent {
		t.Fatalf("scopes %v devices %v", c.scopes, c.devices)
	}
	if c := decodeClaims(t, `{"sub": 7, "scope": {"a": 1}}`); c.ownerOK || c.err == nil {
		t.Fatalf("a number owner and an object scope: ownerOK %v err %v", c.ownerOK, c.err)
	}
	if c := decodeClaims(t, `{"devices": ["cam-1", 3]}`); c.err == nil {
		t.Fatal("a device that is not a string was accepted")
	}
	for _, bad := range []string{`[]`, `"x"`, `{"exp": "soon"}`, `{"aud": 5}`} {
		c := &tokenClaims{names: &claimNames{owner: "sub"}}
		if err := json.Unmarshal([]byte(bad), c); err == nil {
			t.Errorf("%s decoded without an error", bad)
		}
	}
}
