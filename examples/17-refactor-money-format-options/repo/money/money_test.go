package money

import (
	"errors"
	"math"
	"testing"
)

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		cents     int64
		symbol    string
		thousands bool
		want      string
	}{
		{0, "$", true, "$0.00"},
		{5, "$", true, "$0.05"},
		{123456, "$", true, "$1,234.56"},
		{123456, "$", false, "$1234.56"},
		{-500, "$", true, "-$5.00"},
		{100000000, "€", true, "€1,000,000.00"},
		{99, "", false, "0.99"},
	}
	for _, tt := range tests {
		if got := FormatAmount(tt.cents, tt.symbol, tt.thousands); got != tt.want {
			t.Errorf("FormatAmount(%d, %q, %v) = %q, want %q", tt.cents, tt.symbol, tt.thousands, got, tt.want)
		}
	}
}

func TestSum(t *testing.T) {
	if got, err := Sum([]int64{100, 250, -50}); err != nil || got != 300 {
		t.Errorf("Sum = %d, %v; want 300", got, err)
	}
	if _, err := Sum([]int64{math.MaxInt64, 1}); !errors.Is(err, ErrOverflow) {
		t.Errorf("Sum overflow error = %v, want ErrOverflow", err)
	}
}

func TestInvoiceString(t *testing.T) {
	inv := Invoice{Currency: "$", Lines: []Line{
		{Description: "Hosting", Quantity: 12, UnitCents: 2500},
		{Description: "Setup", Quantity: 1, UnitCents: 150000},
	}}
	want := "Hosting                12 x       $25.00 =      $300.00\n" +
		"Setup                   1 x    $1,500.00 =    $1,500.00\n" +
		"TOTAL                                         $1,800.00\n"
	if got := inv.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}
