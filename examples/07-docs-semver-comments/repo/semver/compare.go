package semver

import (
	"strconv"
	"strings"
)

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

func (v Version) Less(w Version) bool {
	return Compare(v, w) < 0
}

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

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
