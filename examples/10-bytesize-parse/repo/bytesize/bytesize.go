// Package bytesize represents amounts of storage, such as disk quotas and
// upload limits, and formats them for people.
package bytesize

import (
	"strconv"
	"strings"
)

// Size is an amount of storage in bytes.
type Size int64

// Binary (IEC) units.
const (
	B   Size = 1
	KiB      = 1024 * B
	MiB      = 1024 * KiB
	GiB      = 1024 * MiB
	TiB      = 1024 * GiB
)

// Decimal (SI) units, as used by disk vendors.
const (
	KB Size = 1000
	MB      = 1000 * KB
	GB      = 1000 * MB
	TB      = 1000 * GB
)

var binaryUnits = []struct {
	size Size
	name string
}{
	{TiB, "TiB"},
	{GiB, "GiB"},
	{MiB, "MiB"},
	{KiB, "KiB"},
}

// String formats s with the largest binary unit that keeps the number at
// least 1, with at most two decimals: "512 B", "1 KiB", "1.5 MiB". Negative
// sizes are formatted the same way with a leading minus sign.
func (s Size) String() string {
	if s < 0 {
		return "-" + (-s).String()
	}
	for _, u := range binaryUnits {
		if s >= u.size {
			return formatFloat(float64(s)/float64(u.size)) + " " + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10) + " B"
}

// Bytes returns s as a plain number of bytes.
func (s Size) Bytes() int64 {
	return int64(s)
}

// formatFloat formats f with at most two decimals and no trailing zeros.
func formatFloat(f float64) string {
	out := strconv.FormatFloat(f, 'f', 2, 64)
	out = strings.TrimRight(out, "0")
	return strings.TrimSuffix(out, ".")
}
