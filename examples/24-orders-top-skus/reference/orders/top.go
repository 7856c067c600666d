package orders

import "sort"

// SKUTotal is the sales of one product.
type SKUTotal struct {
	SKU   string
	Qty   int   // units sold
	Cents int64 // revenue
}

// TopSKUs returns the n best-selling SKUs in lines by revenue, highest
// first; ties are ordered by quantity (highest first) and then by SKU.
// Cancelled lines (Qty <= 0) are ignored.
func TopSKUs(lines []Line, n int) []SKUTotal {
	if n <= 0 {
		return nil
	}
	index := make(map[string]int)
	var totals []SKUTotal
	for _, l := range lines {
		if l.Qty <= 0 {
			continue
		}
		i, ok := index[l.SKU]
		if !ok {
			i = len(totals)
			index[l.SKU] = i
			totals = append(totals, SKUTotal{SKU: l.SKU})
		}
		totals[i].Qty += l.Qty
		totals[i].Cents += l.Total()
	}
	sort.Slice(totals, func(i, j int) bool {
		a, b := totals[i], totals[j]
		if a.Cents != b.Cents {
			return a.Cents > b.Cents
		}
		if a.Qty != b.Qty {
			return a.Qty > b.Qty
		}
		return a.SKU < b.SKU
	})
	if len(totals) > n {
		totals = totals[:n]
	}
	return totals
}
