// Package semver parses and compares semantic version numbers such as
// "1.4.2" and "v2.0.0-rc.1", following Semantic Versioning 2.0.0
// (https://semver.org). Build metadata ("+build") is not supported.
package semver

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidVersion is returned (wrapped) by Parse when its input is not a
// valid semantic version.
var ErrInvalidVersion = errors.New("semver: invalid version")

// Version is a parsed semantic version. The zero value is version 0.0.0.
type Version struct {
	// Major, Minor and Patch are the three numeric components.
	Major int
	Minor int
	Patch int
	// Prerelease holds the dot-separated pre-release identifiers without
	// the leading "-", e.g. "rc.1"; it is empty for a release version.
	Prerelease string
}

// Parse parses a version of the form MAJOR.MINOR.PATCH with an optional
// pre-release suffix ("-rc.1"). A leading "v", as in "v1.2.3", is accepted
// and ignored. Numeric components must not have leading zeros. If s is not a
// valid version, Parse returns the zero Version and an error that wraps
// ErrInvalidVersion, so callers can test for it with errors.Is.
func Parse(s string) (Version, error) {
	orig := s
	s = strings.TrimPrefix(s, "v")
	core, pre, hasPre := strings.Cut(s, "-")
	if hasPre && !validPrerelease(pre) {
		return Version{}, fmt.Errorf("%w: %q", ErrInvalidVersion, orig)
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("%w: %q", ErrInvalidVersion, orig)
	}
	var nums [3]int
	for i, p := range parts {
		n, ok := parseNumber(p)
		if !ok {
			return Version{}, fmt.Errorf("%w: %q", ErrInvalidVersion, orig)
		}
		nums[i] = n
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2], Prerelease: pre}, nil
}

// MustParse is like Parse but panics if s is not a valid version. It is meant
// for versions written as constants in the source code.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String returns the canonical form of v, without a leading "v", e.g.
// "1.2.3" or "1.2.3-rc.1".
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Prerelease != "" {
		s += "-" + v.Prerelease
	}
	return s
}

// IsPrerelease reports whether v has a pre-release suffix.
func (v Version) IsPrerelease() bool {
	return v.Prerelease != ""
}

// parseNumber parses a numeric identifier: one or more ASCII digits without
// a leading zero (except for "0" itself).
func parseNumber(s string) (int, bool) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// validPrerelease reports whether s is a non-empty list of dot-separated,
// non-empty identifiers made of ASCII letters, digits and hyphens.
func validPrerelease(s string) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return false
			}
		}
	}
	return true
}
