package ledger

import (
	"errors"
	"sort"
)

// Allocate splits total into len(weights) shares proportional to weights
// that add up to exactly total. Each share is first rounded down to a whole
// cent; the cents left over go one each to the shares with the largest
// remainders, earlier shares first on ties. It returns an error if weights
// is empty, has a negative weight or only zero weights, or if total is
// negative. weights is not modified.
func Allocate(total Cents, weights []int) ([]Cents, error) {
	if total < 0 {
		return nil, errors.New("ledger: negative total")
	}
	if len(weights) == 0 {
		return nil, errors.New("ledger: no weights")
	}
	var sum int64
	for _, w := range weights {
		if w < 0 {
			return nil, errors.New("ledger: negative weight")
		}
		sum += int64(w)
	}
	if sum == 0 {
		return nil, errors.New("ledger: all weights are zero")
	}

	shares := make([]Cents, len(weights))
	rems := make([]int64, len(weights))
	order := make([]int, len(weights))
	left := total
	for i, w := range weights {
		p := int64(total) * int64(w)
		shares[i] = Cents(p / sum)
		rems[i] = p % sum
		order[i] = i
		left -= shares[i]
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]] > rems[order[b]] })
	for k := 0; k < int(left); k++ {
		shares[order[k]]++
	}
	return shares, nil
}
