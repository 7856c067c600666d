package labels

import (
	"fmt"
	"strings"
)

// ParseError reports the first malformed item of a label list.
type ParseError struct {
	Index int    // 0-based position of the bad item in the comma-separated list
	Item  string // the bad item, with surrounding whitespace removed
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("labels: item %d %q is not a valid key=value label", e.Index, e.Item)
}

// Parse parses a comma-separated list of key=value labels, such as
// "env=prod, team=payments". Each item is split at its first '='; whitespace
// around items, keys and values is ignored; keys must pass ValidKey and
// appear only once; values may be empty. An empty or all-whitespace input
// gives an empty Set. On error Parse returns a nil Set and a *ParseError for
// the first bad item.
func Parse(s string) (Set, error) {
	set := Set{}
	if strings.TrimSpace(s) == "" {
		return set, nil
	}
	for i, raw := range strings.Split(s, ",") {
		item := strings.TrimSpace(raw)
		k, v, ok := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		if !ok || !ValidKey(k) {
			return nil, &ParseError{Index: i, Item: item}
		}
		if _, dup := set[k]; dup {
			return nil, &ParseError{Index: i, Item: item}
		}
		set[k] = strings.TrimSpace(v)
	}
	return set, nil
}
