package orders

import (
	"slices"
	"testing"
)

var sample = []Line{
	{"o1", "MUG-1", 2, 1250},
	{"o1", "TEE-M", 1, 1999},
	{"o2", "MUG-1", 1, 1250},
	{"o3", "CAP", 0, 900},
	{"o2", "TEE-M", -1, 1999},
}

func TestTotal(t *testing.T) {
	if got := sample[0].Total(); got != 2500 {
		t.Errorf("Total = %d, want 2500", got)
	}
}

func TestRevenue(t *testing.T) {
	if got := Revenue(sample); got != 2500+1999+1250 {
		t.Errorf("Revenue = %d, want 5749", got)
	}
	if got := Revenue(nil); got != 0 {
		t.Errorf("Revenue(nil) = %d", got)
	}
}

func TestOrderIDs(t *testing.T) {
	if got := OrderIDs(sample); !slices.Equal(got, []string{"o1", "o2", "o3"}) {
		t.Errorf("OrderIDs = %v", got)
	}
}
