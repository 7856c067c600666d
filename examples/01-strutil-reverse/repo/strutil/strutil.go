// Package strutil provides small string helpers.
package strutil

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Capitalize returns s with its first rune converted to upper case.
// The rest of s is left unchanged.
func Capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// IsPalindrome reports whether s reads the same forwards and backwards,
// ignoring case. It compares runes, not bytes.
func IsPalindrome(s string) bool {
	runes := []rune(strings.ToLower(s))
	for i, j := 0, len(runes)-1; i < j; i, j = i+1, j-1 {
		if runes[i] != runes[j] {
			return false
		}
	}
	return true
}
