package bytesize

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrInvalidSize is returned, wrapped, by Parse when its input is not a
// size.
var ErrInvalidSize = errors.New("bytesize: invalid size")

// ErrOutOfRange is returned, wrapped, by Parse when a size is well formed
// but too large to be represented as a Size.
var ErrOutOfRange = errors.New("bytesize: size out of range")

// parseUnits maps lower-cased unit names to their size.
var parseUnits = map[string]Size{
	"": B, "b": B,
	"kib": KiB, "mib": MiB, "gib": GiB, "tib": TiB,
	"kb": KB, "mb": MB, "gb": GB, "tb": TB,
}

// Parse parses a size such as "512", "1.5 KiB" or "10GB": a non-negative
// decimal number (digits, optionally followed by "." and more digits), then
// optional whitespace and an optional unit (B, KiB, MiB, GiB, TiB, KB, MB,
// GB or TB, in any case). Without a unit the number is in bytes. Surrounding
// whitespace is ignored. Fractional sizes are rounded to the nearest byte.
//
// Malformed input gives an error wrapping ErrInvalidSize; a size that does
// not fit in a Size gives an error wrapping ErrOutOfRange.
func Parse(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := digits(t)
	if i == 0 {
		return 0, fmt.Errorf("%w: %q", ErrInvalidSize, s)
	}
	whole := true
	if i < len(t) && t[i] == '.' {
		n := digits(t[i+1:])
		if n == 0 {
			return 0, fmt.Errorf("%w: %q", ErrInvalidSize, s)
		}
		i += 1 + n
		whole = false
	}
	num := t[:i]
	unit, ok := parseUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if !ok {
		return 0, fmt.Errorf("%w: unknown unit in %q", ErrInvalidSize, s)
	}

	if whole {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > math.MaxInt64/int64(unit) {
			return 0, fmt.Errorf("%w: %q", ErrOutOfRange, s)
		}
		return Size(n) * unit, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrOutOfRange, s)
	}
	v := math.Round(f * float64(unit))
	if v >= math.Exp2(63) {
		return 0, fmt.Errorf("%w: %q", ErrOutOfRange, s)
	}
	return Size(v), nil
}

// digits returns the number of leading ASCII digits in s.
func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
