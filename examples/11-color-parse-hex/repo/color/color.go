// Package color works with 24-bit sRGB colours as they appear in CSS and in
// theme files.
package color

import (
	"fmt"
	"math"
)

// RGB is a 24-bit sRGB colour.
type RGB struct {
	R, G, B uint8
}

// Common colours.
var (
	Black = RGB{0, 0, 0}
	White = RGB{255, 255, 255}
)

// Hex returns the colour in lower-case CSS hex notation, for example "#1e90ff".
func (c RGB) Hex() string {
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}

// String implements fmt.Stringer; it returns the same as Hex.
func (c RGB) String() string { return c.Hex() }

// Mix returns the colour that lies weight of the way from c to other:
// 0 returns c, 1 returns other. Weights outside [0, 1] are clamped.
func (c RGB) Mix(other RGB, weight float64) RGB {
	weight = math.Max(0, math.Min(1, weight))
	mix := func(a, b uint8) uint8 {
		return uint8(math.Round(float64(a) + (float64(b)-float64(a))*weight))
	}
	return RGB{mix(c.R, other.R), mix(c.G, other.G), mix(c.B, other.B)}
}

// Luminance returns the relative luminance of c as defined by WCAG 2.x,
// from 0 for black to 1 for white.
func (c RGB) Luminance() float64 {
	channel := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(c.R) + 0.7152*channel(c.G) + 0.0722*channel(c.B)
}

// Contrast returns the WCAG contrast ratio between a and b, from 1 (no
// contrast) to 21 (black on white). The order of the arguments does not
// matter.
func Contrast(a, b RGB) float64 {
	la, lb := a.Luminance(), b.Luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// ReadableOn returns Black or White, whichever has the higher contrast
// against the background bg.
func ReadableOn(bg RGB) RGB {
	if Contrast(bg, Black) >= Contrast(bg, White) {
		return Black
	}
	return White
}
