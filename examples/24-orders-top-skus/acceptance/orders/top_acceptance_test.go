package orders_test

import (
	"fmt"
	"slices"
	"testing"

	"example.com/shopstats/orders"
)

var (
	_ func([]orders.Line, int) []orders.SKUTotal = orders.TopSKUs
	_                                            = orders.SKUTotal{SKU: "", Qty: 0, Cents: int64(0)}
)

var accWeek = []orders.Line{
	{OrderID: "o1", SKU: "MUG-1", Qty: 2, UnitCents: 1250},
	{OrderID: "o1", SKU: "TEE-M", Qty: 1, UnitCents: 1999},
	{OrderID: "o2", SKU: "MUG-1", Qty: 1, UnitCents: 1250},
	{OrderID: "o3", SKU: "CAP", Qty: 0, UnitCents: 900},
	{OrderID: "o3", SKU: "CAP", Qty: -2, UnitCents: 900},
	{OrderID: "o4", SKU: "PIN", Qty: 5, UnitCents: 100},
	{OrderID: "o4", SKU: "STICKER", Qty: 10, UnitCents: 50},
	{OrderID: "o5", SKU: "TEE-M", Qty: -1, UnitCents: 1999},
	{OrderID: "o5", SKU: "mug-1", Qty: 1, UnitCents: 1250},
	{OrderID: "o6", SKU: "BAG", Qty: 1, UnitCents: 300},
	{OrderID: "o6", SKU: "BADGE", Qty: 3, UnitCents: 100},
	{OrderID: "o7", SKU: "BADGE", Qty: 2, UnitCents: 100},
	{OrderID: "o7", SKU: "POSTER", Qty: 1, UnitCents: 500},
	{OrderID: "o8", SKU: "FREEBIE", Qty: 4, UnitCents: 0},
	{OrderID: "o8", SKU: "BAG", Qty: 1, UnitCents: 200},
}

// Expected totals for accWeek, in order:
//   - MUG-1 3 x 1250 (the "mug-1" line is a different SKU)
//   - TEE-M: the cancelled line does not reduce the quantity or revenue
//   - 500 cents: STICKER (10 units), PIN and BADGE (5 units, PIN after BADGE),
//     then BAG (2 units) and POSTER (1 unit)
//   - FREEBIE: 0 cents but 4 units sold
//   - CAP: all lines cancelled, not listed
var accWeekTop = []orders.SKUTotal{
	{SKU: "MUG-1", Qty: 3, Cents: 3750},
	{SKU: "TEE-M", Qty: 1, Cents: 1999},
	{SKU: "mug-1", Qty: 1, Cents: 1250},
	{SKU: "STICKER", Qty: 10, Cents: 500},
	{SKU: "BADGE", Qty: 5, Cents: 500},
	{SKU: "PIN", Qty: 5, Cents: 500},
	{SKU: "BAG", Qty: 2, Cents: 500},
	{SKU: "POSTER", Qty: 1, Cents: 500},
	{SKU: "FREEBIE", Qty: 4, Cents: 0},
}

func TestAcceptanceTopSKUs(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 6, 8, 9, 10, 100} {
		want := accWeekTop[:min(n, len(accWeekTop))]
		if got := orders.TopSKUs(accWeek, n); !slices.Equal(got, want) {
			t.Errorf("TopSKUs(accWeek, %d) =\n  %v\nwant\n  %v", n, got, want)
		}
	}
}

func TestAcceptanceTopSKUsEmpty(t *testing.T) {
	cancelled := []orders.Line{
		{OrderID: "o1", SKU: "CAP", Qty: 0, UnitCents: 900},
		{OrderID: "o2", SKU: "MUG-1", Qty: -3, UnitCents: 1250},
	}
	tests := []struct {
		name  string
		lines []orders.Line
		n     int
	}{
		{"nil lines", nil, 5},
		{"no lines", []orders.Line{}, 5},
		{"only cancelled lines", cancelled, 5},
		{"n = 0", accWeek, 0},
		{"n = -1", accWeek, -1},
		{"n = -100", accWeek, -100},
	}
	for _, tt := range tests {
		if got := orders.TopSKUs(tt.lines, tt.n); len(got) != 0 {
			t.Errorf("%s: TopSKUs = %v, want an empty result", tt.name, got)
		}
	}
}

func TestAcceptanceTopSKUsSingle(t *testing.T) {
	lines := []orders.Line{
		{OrderID: "a", SKU: "X", Qty: 1, UnitCents: 700},
		{OrderID: "b", SKU: "X", Qty: 0, UnitCents: 700},
		{OrderID: "c", SKU: "X", Qty: 2, UnitCents: 650},
	}
	want := []orders.SKUTotal{{SKU: "X", Qty: 3, Cents: 2000}}
	if got := orders.TopSKUs(lines, 3); !slices.Equal(got, want) {
		t.Errorf("TopSKUs = %v, want %v", got, want)
	}
}

func TestAcceptanceTopSKUsDeterministic(t *testing.T) {
	// 40 SKUs with the same revenue and quantity: only the SKU decides.
	var lines []orders.Line
	var want []orders.SKUTotal
	for i := 39; i >= 0; i-- {
		sku := fmt.Sprintf("SKU-%02d", i)
		lines = append(lines, orders.Line{OrderID: "o", SKU: sku, Qty: 2, UnitCents: 150})
	}
	for i := 0; i < 40; i++ {
		want = append(want, orders.SKUTotal{SKU: fmt.Sprintf("SKU-%02d", i), Qty: 2, Cents: 300})
	}
	for run := 0; run < 20; run++ {
		if got := orders.TopSKUs(lines, 40); !slices.Equal(got, want) {
			t.Fatalf("run %d: TopSKUs =\n  %v\nwant\n  %v", run, got, want)
		}
		if got := orders.TopSKUs(lines, 7); !slices.Equal(got, want[:7]) {
			t.Fatalf("run %d: TopSKUs(lines, 7) =\n  %v\nwant\n  %v", run, got, want[:7])
		}
	}
}

func TestAcceptanceTopSKUsLeavesInputAlone(t *testing.T) {
	lines := slices.Clone(accWeek)
	orders.TopSKUs(lines, 3)
	orders.TopSKUs(lines, 100)
	if !slices.Equal(lines, accWeek) {
		t.Errorf("TopSKUs modified its input:\n  %v\nwant\n  %v", lines, accWeek)
	}
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	if got := orders.Revenue(accWeek); got != 3750+1999+1250+500*5 {
		t.Errorf("Revenue = %d, want %d", got, 3750+1999+1250+500*5)
	}
	if got := (orders.Line{Qty: 3, UnitCents: 250}).Total(); got != 750 {
		t.Errorf("Total = %d, want 750", got)
	}
	if got := orders.OrderIDs(accWeek[:4]); !slices.Equal(got, []string{"o1", "o2", "o3"}) {
		t.Errorf("OrderIDs = %v", got)
	}
}
