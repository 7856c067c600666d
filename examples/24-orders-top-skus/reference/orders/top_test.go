package orders

import (
	"slices"
	"testing"
)

func TestTopSKUs(t *testing.T) {
	lines := []Line{
		{"o1", "MUG-1", 2, 1250},
		{"o1", "TEE-M", 1, 1999},
		{"o2", "MUG-1", 1, 1250},
		{"o3", "CAP", 0, 900},
		{"o4", "PIN", 5, 100},
		{"o4", "STICKER", 10, 50},
	}
	want := []SKUTotal{
		{"MUG-1", 3, 3750},
		{"TEE-M", 1, 1999},
		{"STICKER", 10, 500},
		{"PIN", 5, 500},
	}
	if got := TopSKUs(lines, 10); !slices.Equal(got, want) {
		t.Errorf("TopSKUs(lines, 10) = %v, want %v", got, want)
	}
	if got := TopSKUs(lines, 2); !slices.Equal(got, want[:2]) {
		t.Errorf("TopSKUs(lines, 2) = %v, want %v", got, want[:2])
	}
	if got := TopSKUs(lines, 0); len(got) != 0 {
		t.Errorf("TopSKUs(lines, 0) = %v, want empty", got)
	}
	if got := TopSKUs(nil, 3); len(got) != 0 {
		t.Errorf("TopSKUs(nil, 3) = %v, want empty", got)
	}
}
