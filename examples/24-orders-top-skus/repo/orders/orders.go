// Package orders computes sales figures from order lines exported by the
// web shop.
package orders

// Line is one line of an order: Qty units of one product.
type Line struct {
	OrderID   string
	SKU       string // product code, case-sensitive
	Qty       int    // 0 or negative for a cancelled line
	UnitCents int64  // price of one unit
}

// Total returns the price of the line, Qty * UnitCents.
func (l Line) Total() int64 {
	return int64(l.Qty) * l.UnitCents
}

// Revenue returns the sum of Total over all lines. Cancelled lines (Qty of
// 0 or less) are not counted.
func Revenue(lines []Line) int64 {
	var sum int64
	for _, l := range lines {
		if l.Qty > 0 {
			sum += l.Total()
		}
	}
	return sum
}

// OrderIDs returns the distinct order IDs in lines, in the order in which
// they first appear.
func OrderIDs(lines []Line) []string {
	seen := make(map[string]bool)
	var ids []string
	for _, l := range lines {
		if !seen[l.OrderID] {
			seen[l.OrderID] = true
			ids = append(ids, l.OrderID)
		}
	}
	return ids
}
