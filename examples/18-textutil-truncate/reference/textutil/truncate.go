package textutil

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Truncate shortens s to at most max runes. A string that already fits is
// returned unchanged; a longer one keeps its first max-1 runes, without
// trailing whitespace, followed by "…". It returns "" if max <= 0.
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	i, n := 0, 0
	for n < max-1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return strings.TrimRightFunc(s[:i], unicode.IsSpace) + "…"
}
