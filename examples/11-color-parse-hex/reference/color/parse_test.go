package color

import "testing"

func TestParseHex(t *testing.T) {
	tests := []struct {
		in   string
		want RGB
	}{
		{"#000000", Black},
		{"#FFFFFF", White},
		{"#1e90ff", RGB{30, 144, 255}},
		{"#1E90fF", RGB{30, 144, 255}},
		{"#fa0", RGB{255, 170, 0}},
		{"#123", RGB{0x11, 0x22, 0x33}},
	}
	for _, tt := range tests {
		got, err := ParseHex(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseHex(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestParseHexErrors(t *testing.T) {
	for _, in := range []string{"", "#", "1e90ff", "#1e90f", "#1e90ff0", "#12", "#ggg", "#12345z", " #123456"} {
		if got, err := ParseHex(in); err == nil || got != (RGB{}) {
			t.Errorf("ParseHex(%q) = %v, %v; want zero RGB and an error", in, got, err)
		}
	}
}

func TestParseHexRoundTrip(t *testing.T) {
	for _, c := range []RGB{Black, White, {30, 144, 255}, {1, 2, 3}, {254, 0, 171}} {
		if got, err := ParseHex(c.Hex()); err != nil || got != c {
			t.Errorf("ParseHex(%q) = %v, %v; want %v", c.Hex(), got, err, c)
		}
	}
}
