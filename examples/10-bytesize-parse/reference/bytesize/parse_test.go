package bytesize

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Size
	}{
		{"0", 0},
		{"512", 512},
		{"512 B", 512},
		{"1KiB", KiB},
		{"1.5 kib", 1536},
		{"10 MiB", 10 * MiB},
		{"2 GB", 2 * GB},
		{" 3 TiB ", 3 * TiB},
		{"8388607 TiB", 8388607 * TiB},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "MiB", "-1", "1.", ".5", "1e3", "10 K", "10 MiBs"} {
		if _, err := Parse(in); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("Parse(%q) error = %v, want ErrInvalidSize", in, err)
		}
	}
	for _, in := range []string{"8388608 TiB", "9223372036854775808", "9999999999999999999999.5"} {
		if _, err := Parse(in); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Parse(%q) error = %v, want ErrOutOfRange", in, err)
		}
	}
}

func TestParseRoundTrip(t *testing.T) {
	for _, s := range []Size{0, 1, 1023, KiB, 1536, MiB + MiB/4, 10 * GiB, 7 * TiB} {
		got, err := Parse(s.String())
		if err != nil || got != s {
			t.Errorf("Parse(%q) = %d, %v; want %d", s.String(), got, err, s)
		}
	}
}
