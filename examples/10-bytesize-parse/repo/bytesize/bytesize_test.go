package bytesize

import "testing"

func TestString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0 B"},
		{512, "512 B"},
		{KiB, "1 KiB"},
		{1536, "1.5 KiB"},
		{MiB + MiB/4, "1.25 MiB"},
		{10 * GiB, "10 GiB"},
		{3 * TiB, "3 TiB"},
		{-2 * KiB, "-2 KiB"},
		{GB, "953.67 MiB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestUnits(t *testing.T) {
	if TiB.Bytes() != 1<<40 || TB.Bytes() != 1e12 {
		t.Errorf("TiB = %d, TB = %d", TiB.Bytes(), TB.Bytes())
	}
}
