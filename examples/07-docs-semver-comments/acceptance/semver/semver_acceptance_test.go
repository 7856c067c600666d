package semver_test

import (
	"errors"
	"testing"

	"example.com/releases/semver"
)

// Adding documentation must not change the API or the behaviour.
var (
	_ func(string) (semver.Version, error)          = semver.Parse
	_ func(string) semver.Version                   = semver.MustParse
	_ func(semver.Version, semver.Version) int      = semver.Compare
	_ func(semver.Version, semver.Version) bool     = semver.Version.Less
	_ func(semver.Version) string                   = semver.Version.String
	_ func(semver.Version) bool                     = semver.Version.IsPrerelease
	_ func([]semver.Version) (semver.Version, bool) = semver.Latest
)

func TestAcceptanceBehaviourUnchanged(t *testing.T) {
	v, err := semver.Parse("v1.2.3-rc.1")
	if err != nil || v != (semver.Version{Major: 1, Minor: 2, Patch: 3, Prerelease: "rc.1"}) {
		t.Errorf("Parse(v1.2.3-rc.1) = %+v, %v", v, err)
	}
	if v.String() != "1.2.3-rc.1" || !v.IsPrerelease() {
		t.Errorf("String/IsPrerelease = %q/%v", v.String(), v.IsPrerelease())
	}
	for _, bad := range []string{"", "1.2", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.x", "1.2.3-a..b", "1.2.3+build"} {
		if _, err := semver.Parse(bad); !errors.Is(err, semver.ErrInvalidVersion) {
			t.Errorf("Parse(%q) error = %v, want ErrInvalidVersion", bad, err)
		}
	}
	ordered := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0"}
	for i := 0; i+1 < len(ordered); i++ {
		a, b := semver.MustParse(ordered[i]), semver.MustParse(ordered[i+1])
		if semver.Compare(a, b) != -1 || semver.Compare(b, a) != 1 || semver.Compare(a, a) != 0 || !a.Less(b) {
			t.Errorf("expected %s < %s", a, b)
		}
	}
	latest, ok := semver.Latest([]semver.Version{semver.MustParse("1.9.0"), semver.MustParse("1.10.0")})
	if !ok || latest.String() != "1.10.0" {
		t.Errorf("Latest = %v, %v", latest, ok)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("MustParse(bad) did not panic")
		}
	}()
	semver.MustParse("bad")
}
