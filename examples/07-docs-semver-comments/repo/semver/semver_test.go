package semver

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	v, err := Parse("v1.2.3-rc.1")
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	want := Version{Major: 1, Minor: 2, Patch: 3, Prerelease: "rc.1"}
	if v != want {
		t.Errorf("Parse = %+v, want %+v", v, want)
	}
	if v.String() != "1.2.3-rc.1" {
		t.Errorf("String = %q", v.String())
	}
	for _, bad := range []string{"", "1.2", "1.02.3", "1.2.3-", "1.2.x", "1.2.3-a..b"} {
		if _, err := Parse(bad); !errors.Is(err, ErrInvalidVersion) {
			t.Errorf("Parse(%q) error = %v, want ErrInvalidVersion", bad, err)
		}
	}
}

func TestCompare(t *testing.T) {
	ordered := []string{
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "2.0.0",
	}
	for i := 0; i+1 < len(ordered); i++ {
		a, b := MustParse(ordered[i]), MustParse(ordered[i+1])
		if Compare(a, b) != -1 || Compare(b, a) != 1 || !a.Less(b) {
			t.Errorf("expected %s < %s", a, b)
		}
	}
	if Compare(MustParse("v1.0.0"), MustParse("1.0.0")) != 0 {
		t.Errorf("v prefix should not matter")
	}
}

func TestLatest(t *testing.T) {
	if _, ok := Latest(nil); ok {
		t.Errorf("Latest(nil) reported ok")
	}
	got, ok := Latest([]Version{MustParse("1.0.0"), MustParse("1.10.0"), MustParse("1.9.9")})
	if !ok || got.String() != "1.10.0" {
		t.Errorf("Latest = %v, %v; want 1.10.0", got, ok)
	}
}
