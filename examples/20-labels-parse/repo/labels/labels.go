// Package labels handles the key=value labels attached to deployments, as
// in "env=prod,team=payments".
package labels

import (
	"sort"
	"strings"
)

// Set is a set of labels, mapping keys to values.
type Set map[string]string

// ValidKey reports whether k can be used as a label key: 1 to 63
// characters, starting with a lower-case ASCII letter, then lower-case ASCII
// letters, digits, '-', '_' or '.'.
func ValidKey(k string) bool {
	if len(k) == 0 || len(k) > 63 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 1; i < len(k); i++ {
		c := k[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// String formats s as "key=value" pairs sorted by key and joined with ",",
// for example "env=prod,team=payments". An empty set gives "".
func (s Set) String() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + s[k]
	}
	return strings.Join(pairs, ",")
}

// Matches reports whether every label in selector is present in s with the
// same value. An empty selector matches every set.
func (s Set) Matches(selector Set) bool {
	for k, v := range selector {
		if got, ok := s[k]; !ok || got != v {
			return false
		}
	}
	return true
}
