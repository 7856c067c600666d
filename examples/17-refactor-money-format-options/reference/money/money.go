// Package money formats and adds up amounts of money. Amounts are int64
// numbers of cents, so 1234 is 12.34 in any currency with two decimals.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrOverflow is returned when a total does not fit in an int64.
var ErrOverflow = errors.New("money: amount overflows")

// Options controls how Format writes an amount. The zero value writes no
// currency symbol and no thousands separators.
type Options struct {
	// Symbol is written before the digits, e.g. "$" or "€".
	Symbol string
	// Thousands groups the digits before the point in threes with commas.
	Thousands bool
}

// Format formats cents as a decimal amount with exactly two digits after
// the point, prefixed by opts.Symbol:
// Format(123456, Options{Symbol: "$", Thousands: true}) is "$1,234.56".
// If opts.Thousands is true, the digits before the point are grouped in
// threes with commas. Negative amounts start with a minus sign before the
// symbol, as in "-$5.00".
func Format(cents int64, opts Options) string {
	neg := cents < 0
	u := uint64(cents)
	if neg {
		u = -u // also correct for math.MinInt64
	}
	whole := strconv.FormatUint(u/100, 10)
	if opts.Thousands && len(whole) > 3 {
		var b strings.Builder
		lead := len(whole) % 3
		if lead > 0 {
			b.WriteString(whole[:lead])
		}
		for i := lead; i < len(whole); i += 3 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(whole[i : i+3])
		}
		whole = b.String()
	}
	s := fmt.Sprintf("%s%s.%02d", opts.Symbol, whole, u%100)
	if neg {
		s = "-" + s
	}
	return s
}

// FormatAmount formats cents like Format with the given symbol and
// thousands grouping.
//
// Deprecated: Use Format with Options{Symbol: symbol, Thousands: thousands}.
func FormatAmount(cents int64, symbol string, thousands bool) string {
	return Format(cents, Options{Symbol: symbol, Thousands: thousands})
}

// Sum returns the total of amounts. It fails with ErrOverflow if the total
// or an intermediate sum does not fit in an int64.
func Sum(amounts []int64) (int64, error) {
	var total int64
	for _, a := range amounts {
		if (a > 0 && total > math.MaxInt64-a) || (a < 0 && total < math.MinInt64-a) {
			return 0, ErrOverflow
		}
		total += a
	}
	return total, nil
}

// Line is one line of an invoice.
type Line struct {
	Description string
	Quantity    int64
	UnitCents   int64
}

// Total returns Quantity * UnitCents.
func (l Line) Total() int64 { return l.Quantity * l.UnitCents }

// Invoice is a list of lines in one currency.
type Invoice struct {
	Currency string // symbol, e.g. "€"
	Lines    []Line
}

// String renders the invoice as plain text, one line per item followed by
// the total, with amounts grouped in thousands.
func (inv Invoice) String() string {
	opts := Options{Symbol: inv.Currency, Thousands: true}
	var b strings.Builder
	totals := make([]int64, len(inv.Lines))
	for i, l := range inv.Lines {
		totals[i] = l.Total()
		fmt.Fprintf(&b, "%-20s %4d x %12s = %12s\n", l.Description, l.Quantity,
			Format(l.UnitCents, opts), Format(totals[i], opts))
	}
	total, err := Sum(totals)
	if err != nil {
		fmt.Fprintf(&b, "%-20s %s\n", "TOTAL", "overflow")
		return b.String()
	}
	fmt.Fprintf(&b, "%-20s %34s\n", "TOTAL", Format(total, opts))
	return b.String()
}
