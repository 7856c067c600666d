package strutil

// Reverse returns s with its runes in reverse order. It works on runes, not
// bytes, so multi-byte UTF-8 sequences stay intact.
func Reverse(s string) string {
	runes := []rune(s)
	for i, j := 0, len(runes)-1; i < j; i, j = i+1, j-1 {
		runes[i], runes[j] = runes[j], runes[i]
	}
	return string(runes)
}
