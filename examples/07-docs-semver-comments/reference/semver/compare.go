package semver

import (
	"strconv"
	"strings"
)

// Compare compares two versions by precedence. It returns -1 if a is lower
// than b, 0 if they are equal and +1 if a is higher. Major, minor and patch
// are compared numerically; a pre-release ranks below the corresponding
// release, and pre-releases are ordered as described in SemVer 2.0.0 (so
// "1.0.0-beta.2" < "1.0.0-beta.11" < "1.0.0-rc.1" < "1.0.0").
func Compare(a, b Version) int {
	if c := cmpInt(a.Major, b.Major); c != 0 {
		return c
	}
	if c := cmpInt(a.Minor, b.Minor); c != 0 {
		return c
	}
	if c := cmpInt(a.Patch, b.Patch); c != 0 {
		return c
	}
	return comparePrerelease(a.Prerelease, b.Prerelease)
}

// Less reports whether v has lower precedence than w, i.e. Compare(v, w) < 0.
func (v Version) Less(w Version) bool {
	return Compare(v, w) < 0
}

// Latest returns the highest version in vs by Compare. It reports false if
// vs is empty.
func Latest(vs []Version) (Version, bool) {
	if len(vs) == 0 {
		return Version{}, false
	}
	best := vs[0]
	for _, v := range vs[1:] {
		if Compare(v, best) > 0 {
			best = v
		}
	}
	return best, true
}

// comparePrerelease orders pre-release strings as in SemVer 2.0.0: no
// pre-release ranks above any pre-release; identifiers are compared left to
// right, numeric ones numerically and below alphanumeric ones; a shorter list
// ranks lower when it is a prefix of the longer one.
func comparePrerelease(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		an, aErr := strconv.Atoi(as[i])
		bn, bErr := strconv.Atoi(bs[i])
		switch {
		case aErr == nil && bErr == nil:
			if c := cmpInt(an, bn); c != 0 {
				return c
			}
		case aErr == nil:
			return -1
		case bErr == nil:
			return 1
		default:
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(as), len(bs))
}

// cmpInt returns -1, 0 or +1 as a is less than, equal to or greater than b.
func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
