package color_test

import (
	"testing"

	"example.com/themekit/color"
)

var _ func(string) (color.RGB, error) = color.ParseHex

func TestAcceptanceParseHexValid(t *testing.T) {
	tests := []struct {
		in   string
		want color.RGB
	}{
		{"#000000", color.RGB{R: 0, G: 0, B: 0}},
		{"#ffffff", color.RGB{R: 255, G: 255, B: 255}},
		{"#FFFFFF", color.RGB{R: 255, G: 255, B: 255}},
		{"#1e90ff", color.RGB{R: 30, G: 144, B: 255}},
		{"#1E90FF", color.RGB{R: 30, G: 144, B: 255}},
		{"#1e90Ff", color.RGB{R: 30, G: 144, B: 255}},
		{"#010203", color.RGB{R: 1, G: 2, B: 3}},
		{"#a0b1c2", color.RGB{R: 0xa0, G: 0xb1, B: 0xc2}},
		{"#fa0", color.RGB{R: 255, G: 170, B: 0}},
		{"#FA0", color.RGB{R: 255, G: 170, B: 0}},
		{"#000", color.RGB{R: 0, G: 0, B: 0}},
		{"#fff", color.RGB{R: 255, G: 255, B: 255}},
		{"#123", color.RGB{R: 0x11, G: 0x22, B: 0x33}},
		{"#9aF", color.RGB{R: 0x99, G: 0xaa, B: 0xff}},
	}
	for _, tt := range tests {
		got, err := color.ParseHex(tt.in)
		if err != nil {
			t.Errorf("ParseHex(%q) error: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseHex(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestAcceptanceParseHexInvalid(t *testing.T) {
	for _, in := range []string{
		"",
		"#",
		"##",
		"1e90ff",
		"fa0",
		"#1",
		"#12",
		"#1234",
		"#12345",
		"#1e90f",
		"#1e90ff0",
		"#1e90ff00",
		"#ggg",
		"#12g",
		"#12345g",
		"#GGGGGG",
		"##12345",
		"#-12345",
		"#+12345",
		"#0x1234",
		"#1_2345",
		"#12 456",
		" #123456",
		"#123456 ",
		"#123456\n",
		"#ééé",
		"rgb(1,2,3)",
	} {
		got, err := color.ParseHex(in)
		if err == nil {
			t.Errorf("ParseHex(%q) = %+v, nil; want an error", in, got)
			continue
		}
		if got != (color.RGB{}) {
			t.Errorf("ParseHex(%q) returned %+v with its error, want the zero RGB", in, got)
		}
	}
}

func TestAcceptanceParseHexRoundTrip(t *testing.T) {
	for r := 0; r < 256; r += 15 {
		for g := 0; g < 256; g += 51 {
			for b := 0; b < 256; b += 85 {
				c := color.RGB{R: uint8(r), G: uint8(g), B: uint8(b)}
				got, err := color.ParseHex(c.Hex())
				if err != nil || got != c {
					t.Fatalf("ParseHex(%q) = %+v, %v; want %+v, nil", c.Hex(), got, err, c)
				}
			}
		}
	}
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	if got := (color.RGB{R: 30, G: 144, B: 255}).Hex(); got != "#1e90ff" {
		t.Errorf("Hex() = %q, want #1e90ff", got)
	}
	if got := color.ReadableOn(color.RGB{R: 255, G: 255, B: 0}); got != color.Black {
		t.Errorf("ReadableOn(yellow) = %v, want black", got)
	}
	if got := color.Black.Mix(color.White, 1); got != color.White {
		t.Errorf("Black.Mix(White, 1) = %v, want white", got)
	}
}
