package color

import "fmt"

// ParseHex parses a colour in CSS hex notation: "#rrggbb" or the short form
// "#rgb", in which every digit is doubled ("#fa0" is "#ffaa00"). Digits may
// be upper or lower case; the leading '#' is required. On error it returns
// the zero RGB.
func ParseHex(s string) (RGB, error) {
	if len(s) == 0 || s[0] != '#' {
		return RGB{}, fmt.Errorf("color: invalid hex colour %q: missing '#'", s)
	}
	digits := s[1:]
	var v [6]byte
	switch len(digits) {
	case 3:
		for i := 0; i < 3; i++ {
			v[2*i], v[2*i+1] = digits[i], digits[i]
		}
	case 6:
		copy(v[:], digits)
	default:
		return RGB{}, fmt.Errorf("color: invalid hex colour %q: want 3 or 6 digits", s)
	}
	var out [3]uint8
	for i := 0; i < 3; i++ {
		hi, ok1 := hexDigit(v[2*i])
		lo, ok2 := hexDigit(v[2*i+1])
		if !ok1 || !ok2 {
			return RGB{}, fmt.Errorf("color: invalid hex colour %q: bad digit", s)
		}
		out[i] = hi<<4 | lo
	}
	return RGB{out[0], out[1], out[2]}, nil
}

// hexDigit returns the value of the hex digit c.
func hexDigit(c byte) (uint8, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
