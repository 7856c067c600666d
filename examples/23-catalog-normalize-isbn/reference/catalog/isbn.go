package catalog

import (
	"errors"
	"strings"
)

var errInvalidISBN = errors.New("catalog: invalid ISBN")

// NormalizeISBN validates an ISBN-10 or ISBN-13, written with or without
// hyphens and spaces, and returns it as 13 digits without separators. An
// ISBN-10 is converted to ISBN-13 ("978" prefix, new check digit).
func NormalizeISBN(s string) (string, error) {
	s = strings.NewReplacer("-", "", " ", "").Replace(s)
	switch len(s) {
	case 10:
		sum := 0
		for i := 0; i < 10; i++ {
			c := s[i]
			var d int
			switch {
			case '0' <= c && c <= '9':
				d = int(c - '0')
			case i == 9 && (c == 'X' || c == 'x'):
				d = 10
			default:
				return "", errInvalidISBN
			}
			sum += (10 - i) * d
		}
		if sum%11 != 0 {
			return "", errInvalidISBN
		}
		body := "978" + s[:9]
		return body + string(rune('0'+isbn13Check(body))), nil
	case 13:
		for i := 0; i < 13; i++ {
			if s[i] < '0' || s[i] > '9' {
				return "", errInvalidISBN
			}
		}
		if !strings.HasPrefix(s, "978") && !strings.HasPrefix(s, "979") {
			return "", errInvalidISBN
		}
		if isbn13Check(s[:12]) != int(s[12]-'0') {
			return "", errInvalidISBN
		}
		return s, nil
	}
	return "", errInvalidISBN
}

// isbn13Check returns the ISBN-13 check digit for the 12 ASCII digits in d.
func isbn13Check(d string) int {
	sum := 0
	for i := 0; i < 12; i++ {
		w := 1
		if i%2 == 1 {
			w = 3
		}
		sum += w * int(d[i]-'0')
	}
	return (10 - sum%10) % 10
}
