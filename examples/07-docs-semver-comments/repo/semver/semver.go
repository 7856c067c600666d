package semver

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var ErrInvalidVersion = errors.New("semver: invalid version")

type Version struct {
	Major      int
	Minor      int
	Patch      int
	Prerelease string
}

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

func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Prerelease != "" {
		s += "-" + v.Prerelease
	}
	return s
}

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
