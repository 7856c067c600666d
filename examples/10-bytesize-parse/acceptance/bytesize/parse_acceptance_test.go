package bytesize_test

import (
	"errors"
	"math"
	"testing"

	"example.com/quota/bytesize"
)

var _ func(string) (bytesize.Size, error) = bytesize.Parse

func TestAcceptanceParse(t *testing.T) {
	tests := []struct {
		in   string
		want bytesize.Size
	}{
		{"0", 0},
		{"0 B", 0},
		{"512", 512},
		{"512B", 512},
		{"512 b", 512},
		{"007 KiB", 7 * bytesize.KiB},
		{"1 KiB", 1024},
		{"1kib", 1024},
		{"1 KIB", 1024},
		{"1.5 KiB", 1536},
		{"1.5KiB", 1536},
		{"0.5 MiB", 524288},
		{"1.25 MiB", bytesize.MiB + bytesize.MiB/4},
		{"10 MiB", 10 * bytesize.MiB},
		{"2 GiB", 2 * bytesize.GiB},
		{"3 TiB", 3 * bytesize.TiB},
		{"1 KB", 1000},
		{"1kb", 1000},
		{"2.5 MB", 2500000},
		{"2.25 GB", 2250000000},
		{"4 TB", 4000000000000},
		{"0.1 KB", 100},
		{"1.4 B", 1},
		{"1.6 B", 2},
		{" 10 MiB ", 10 * bytesize.MiB},
		{"10\tMiB", 10 * bytesize.MiB},
		{"\n64 kb\n", 64000},
		{"8388607 TiB", 8388607 * bytesize.TiB},
		{"8388607.5 TiB", 8388607*bytesize.TiB + bytesize.TiB/2},
		{"9223372036854775807", math.MaxInt64},
	}
	for _, tt := range tests {
		got, err := bytesize.Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d, nil", tt.in, int64(got), err, int64(tt.want))
		}
	}
}

func TestAcceptanceParseInvalid(t *testing.T) {
	bad := []string{
		"",
		"   ",
		"B",
		"MiB",
		"-1",
		"-1 KiB",
		"+5",
		"1.",
		".5",
		"1..5",
		"1.5.2 KiB",
		"1,5 KiB",
		"1_000",
		"1e3",
		"0x10",
		"10 K",
		"10 M",
		"10 KiBs",
		"10 mebibytes",
		"10 PB",
		"10 KiB extra",
		"10 Ki B",
		"ten",
		"NaN",
		"Inf",
		"1 KiB 2",
	}
	for _, in := range bad {
		got, err := bytesize.Parse(in)
		if !errors.Is(err, bytesize.ErrInvalidSize) {
			t.Errorf("Parse(%q) = %d, %v; want an error matching ErrInvalidSize", in, int64(got), err)
		}
	}
}

func TestAcceptanceParseOutOfRange(t *testing.T) {
	for _, in := range []string{
		"9223372036854775808",
		"18446744073709551616 B",
		"99999999999999999999999",
		"8388608 TiB",
		"8388608.0 TiB",
		"10000000 TiB",
		"9223373 TB",
		"99999999999999999999999.5 KiB",
	} {
		got, err := bytesize.Parse(in)
		if !errors.Is(err, bytesize.ErrOutOfRange) {
			t.Errorf("Parse(%q) = %d, %v; want an error matching ErrOutOfRange", in, int64(got), err)
		}
	}
	if errors.Is(bytesize.ErrOutOfRange, bytesize.ErrInvalidSize) || errors.Is(bytesize.ErrInvalidSize, bytesize.ErrOutOfRange) {
		t.Errorf("ErrInvalidSize and ErrOutOfRange must be distinct errors")
	}
}

func TestAcceptanceParseRoundTrip(t *testing.T) {
	sizes := []bytesize.Size{0, 1, 999, 1023, bytesize.KiB, 1536, 3*bytesize.MiB + bytesize.MiB/4,
		bytesize.GiB / 2 * 3, 10 * bytesize.GiB, 7 * bytesize.TiB, 1024 * bytesize.TiB}
	for _, s := range sizes {
		got, err := bytesize.Parse(s.String())
		if err != nil || got != s {
			t.Errorf("Parse(%q) = %d, %v; want %d", s.String(), int64(got), err, int64(s))
		}
	}
}

func TestAcceptanceExistingBehaviour(t *testing.T) {
	if got := bytesize.Size(1536).String(); got != "1.5 KiB" {
		t.Errorf("String = %q, want 1.5 KiB", got)
	}
	if got := (-2 * bytesize.KiB).String(); got != "-2 KiB" {
		t.Errorf("String = %q, want -2 KiB", got)
	}
	if bytesize.TB.Bytes() != 1e12 || bytesize.TiB.Bytes() != 1<<40 {
		t.Errorf("unit constants changed")
	}
}
