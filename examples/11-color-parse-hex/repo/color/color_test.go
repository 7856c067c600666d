package color

import (
	"math"
	"testing"
)

func TestHex(t *testing.T) {
	tests := []struct {
		c    RGB
		want string
	}{
		{Black, "#000000"},
		{White, "#ffffff"},
		{RGB{30, 144, 255}, "#1e90ff"},
		{RGB{1, 2, 3}, "#010203"},
	}
	for _, tt := range tests {
		if got := tt.c.Hex(); got != tt.want {
			t.Errorf("%v.Hex() = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestMix(t *testing.T) {
	if got := Black.Mix(White, 0.5); got != (RGB{128, 128, 128}) {
		t.Errorf("Black.Mix(White, 0.5) = %v, want #808080", got)
	}
	if got := Black.Mix(White, -1); got != Black {
		t.Errorf("Mix with weight -1 = %v, want black", got)
	}
	if got := Black.Mix(White, 2); got != White {
		t.Errorf("Mix with weight 2 = %v, want white", got)
	}
}

func TestContrast(t *testing.T) {
	if got := Contrast(Black, White); math.Abs(got-21) > 1e-9 {
		t.Errorf("Contrast(Black, White) = %v, want 21", got)
	}
	if got := Contrast(White, White); math.Abs(got-1) > 1e-9 {
		t.Errorf("Contrast(White, White) = %v, want 1", got)
	}
}

func TestReadableOn(t *testing.T) {
	if got := ReadableOn(RGB{255, 255, 0}); got != Black {
		t.Errorf("ReadableOn(yellow) = %v, want black", got)
	}
	if got := ReadableOn(RGB{0, 0, 128}); got != White {
		t.Errorf("ReadableOn(navy) = %v, want white", got)
	}
}
