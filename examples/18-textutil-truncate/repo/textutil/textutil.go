// Package textutil holds the small text helpers used when building push
// notifications and e-mail subjects.
package textutil

import "strings"

// CollapseSpaces replaces every run of whitespace in s (spaces, tabs,
// newlines) with a single space and removes leading and trailing
// whitespace.
func CollapseSpaces(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// WordCount returns the number of whitespace-separated words in s.
func WordCount(s string) int {
	return len(strings.Fields(s))
}

// Initials returns the upper-cased first letter of every word in s, for
// avatars: "ada lovelace" gives "AL".
func Initials(s string) string {
	var b strings.Builder
	for _, w := range strings.Fields(s) {
		for _, r := range w {
			b.WriteString(strings.ToUpper(string(r)))
			break
		}
	}
	return b.String()
}
