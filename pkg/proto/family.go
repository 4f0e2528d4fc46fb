package proto

import "fmt"

// Family names one kind of event the gateway accepts. It appears in URLs
// (POST /api/v1/events/{family}), in query filters and in every recorded event.
type Family string

// The event families of docs/contract.md#families.
const (
	FamilySound          Family = "sound"          // one edge audio event (docs/sources.md#sound-event)
	FamilyAnalysis       Family = "analysis"       // one video analysis result (docs/sources.md#analysis-result)
	FamilyIdentification Family = "identification" // one face identification (docs/sources.md#identification-event)
	FamilyComposite      Family = "composite"      // derived by composite rules (docs/sources.md#composite-payload)
)

// Families returns every family in a fixed order, for help texts and validation messages.
// It returns a new slice each time so callers may modify it.
func Families() []Family {
	return []Family{FamilySound, FamilyAnalysis, FamilyIdentification, FamilyComposite}
}

// ParseFamily returns the family named s. Names are case-sensitive: they are URL path
// segments and subject tokens, where one spelling per family keeps routing unambiguous.
func ParseFamily(s string) (Family, error) {
	switch f := Family(s); f {
	case FamilySound, FamilyAnalysis, FamilyIdentification, FamilyComposite:
		return f, nil
	}
	return "", fmt.Errorf("unknown event family %q (want sound, analysis, identification or composite)", s)
}

// String returns the family name.
func (f Family) String() string { return string(f) }
