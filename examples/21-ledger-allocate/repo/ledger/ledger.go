// Package ledger keeps money amounts as whole cents so that shared bills
// always add up exactly.
package ledger

import "strconv"

// Cents is an amount of money in cents.
type Cents int64

// String formats c with two decimals, for example "12.34" or "-0.05".
func (c Cents) String() string {
	sign := ""
	v := int64(c)
	if v < 0 {
		sign = "-"
		v = -v
	}
	frac := strconv.FormatInt(v%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(v/100, 10) + "." + frac
}

// Sum returns the total of xs.
func Sum(xs []Cents) Cents {
	var total Cents
	for _, x := range xs {
		total += x
	}
	return total
}

// SplitEvenly divides total into n shares that differ by at most one cent;
// the first total%n shares get the extra cent. It returns nil if n < 1.
func SplitEvenly(total Cents, n int) []Cents {
	if n < 1 {
		return nil
	}
	base, extra := total/Cents(n), int(total%Cents(n))
	out := make([]Cents, n)
	for i := range out {
		out[i] = base
		if i < extra {
			out[i]++
		}
	}
	return out
}
