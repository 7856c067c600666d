// Package textwrap formats paragraphs of text for terminal output, such as
// the help text of a command-line tool.
package textwrap

import (
	"strings"
	"unicode/utf8"
)

// Wrap splits s into lines of at most width runes, breaking only at
// whitespace. Runs of whitespace (including newlines) are collapsed to a
// single space. A word longer than width is put on a line of its own and is
// not broken. If width is not positive, the words are returned on a single
// line. Wrap returns nil if s contains no words.
func Wrap(s string, width int) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return nil
	}
	if width <= 0 {
		return []string{strings.Join(words, " ")}
	}

	var lines []string
	var line strings.Builder
	lineLen := 0
	for _, w := range words {
		wlen := utf8.RuneCountInString(w)
		if lineLen > 0 && lineLen+1+wlen >= width {
			lines = append(lines, line.String())
			line.Reset()
			lineLen = 0
		}
		if lineLen > 0 {
			line.WriteByte(' ')
			lineLen++
		}
		line.WriteString(w)
		lineLen += wlen
	}
	return append(lines, line.String())
}

// Fill wraps s like Wrap and joins the lines with newlines. The result has no
// trailing newline.
func Fill(s string, width int) string {
	return strings.Join(Wrap(s, width), "\n")
}

// Indent prefixes every non-empty line of s with prefix. Empty lines are left
// empty so that the output carries no trailing whitespace.
func Indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
