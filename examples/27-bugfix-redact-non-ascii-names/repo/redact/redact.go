// Package redact masks personal data before it is shown to support staff
// or written to logs. Masking keeps just enough to recognise a customer on
// the phone ("is your name A... L...?") and hides the rest.
package redact

import (
	"strings"
	"unicode"
)

// Mask is the character that replaces a hidden character.
const Mask = '*'

// Name masks a person's name. Every word keeps its first letter; each of
// its other letters is replaced by one Mask, so the masked name has exactly
// as many characters as the original. Words are separated by spaces and
// hyphens, which are kept as they are:
//
//	Name("Ada Lovelace")   == "A** L*******"
//	Name("Jean-Luc Picard") == "J***-L** P*****"
func Name(s string) string {
	var b strings.Builder
	start := -1 // byte offset of the current word, -1 between words
	for i, r := range s {
		if r == ' ' || r == '-' {
			if start >= 0 {
				b.WriteString(maskWord(s[start:i]))
				start = -1
			}
			b.WriteRune(r)
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		b.WriteString(maskWord(s[start:]))
	}
	return b.String()
}

// Email masks the local part of an e-mail address like a single word of a
// name and keeps the domain: Email("ada@example.com") == "a**@example.com".
// A string without '@' is masked as one word.
func Email(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return maskWord(s)
	}
	return maskWord(s[:at]) + s[at:]
}

// Digits masks every decimal digit of s except the last keep digits.
// Other characters (spaces, dashes, a leading '+') are kept, so
// Digits("4111 1111 1111 1234", 4) == "**** **** **** 1234".
func Digits(s string, keep int) string {
	total := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			total++
		}
	}
	var b strings.Builder
	seen := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			seen++
			if seen <= total-keep {
				r = Mask
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maskWord keeps the first character of w and masks the others.
func maskWord(w string) string {
	if len(w) <= 1 {
		return w
	}
	return w[:1] + strings.Repeat(string(Mask), len(w)-1)
}
