package slug

import (
	"strconv"
	"strings"
	"unicode"
)

// MaxLen is the maximum length in bytes of a slug returned by Make.
const MaxLen = 60

// fold maps common accented Latin letters to ASCII.
var fold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae",
	'ç': "c", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ñ': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'œ': "oe",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'ÿ': "y", 'ß': "ss",
}

// Make returns the slug for title. Letters are lower-cased, common accented
// Latin letters are replaced by their ASCII base letters ("é" becomes "e",
// "ß" becomes "ss"), and every run of other characters (spaces,
// punctuation, non-Latin scripts) becomes a single hyphen. Leading and
// trailing hyphens are dropped. Slugs longer than MaxLen bytes are cut at
// the last hyphen that fits, so words are not split. Make returns "" if the
// title contains no usable characters.
func Make(title string) string {
	var b strings.Builder
	pendingHyphen := false
	for _, r := range strings.ToLower(title) {
		var s string
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			s = string(r)
		case fold[r] != "":
			s = fold[r]
		default:
			pendingHyphen = true
			continue
		}
		if pendingHyphen && b.Len() > 0 {
			b.WriteByte('-')
		}
		pendingHyphen = false
		b.WriteString(s)
	}
	return truncate(b.String(), MaxLen)
}

// truncate shortens s to at most n bytes, cutting at the last hyphen that
// fits so that no word is split, unless s has no hyphen before n.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if i := strings.LastIndexByte(s[:n+1], '-'); i > 0 {
		return s[:i]
	}
	return s[:n]
}

// Unique returns base if taken reports it as free, and otherwise the first
// of base-2, base-3, ... that is free. It is meant for de-duplicating the
// slugs of posts that share a title.
func Unique(base string, taken func(string) bool) string {
	if !taken(base) {
		return base
	}
	for i := 2; ; i++ {
		s := base + "-" + strconv.Itoa(i)
		if !taken(s) {
			return s
		}
	}
}
