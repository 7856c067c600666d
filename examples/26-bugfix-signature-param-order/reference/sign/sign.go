// Package sign computes and checks the request signatures of the partner
// API. A partner signs every request with a shared secret and sends the
// signature in the X-Signature header; we recompute it and compare.
//
// The signed text is built by StringToSign:
//
//	METHOD "\n" PATH "\n" CANONICAL-QUERY
//
// and the signature is the lower-case hex encoding of its HMAC-SHA256.
package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// CanonicalQuery returns the canonical form of a query: one name=value pair
// per value, joined with "&". Pairs are sorted by parameter name (byte
// order); the values of a repeated parameter keep the order in which they
// were given. Names and values are percent-encoded with Escape. An empty
// query gives "".
func CanonicalQuery(q url.Values) string {
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	var pairs []string
	for _, name := range names {
		for _, v := range q[name] {
			pairs = append(pairs, Escape(name)+"="+Escape(v))
		}
	}
	return strings.Join(pairs, "&")
}

// Escape percent-encodes s as RFC 3986 asks: the unreserved characters
// A-Z, a-z, 0-9, '-', '.', '_' and '~' are kept, every other byte is
// written as %XX with upper-case hex digits. A space becomes "%20".
func Escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// StringToSign returns the text that is signed for a request. The method
// is upper-cased; an empty path is treated as "/".
func StringToSign(method, path string, q url.Values) string {
	if path == "" {
		path = "/"
	}
	return strings.ToUpper(method) + "\n" + path + "\n" + CanonicalQuery(q)
}

// Sign returns the signature of a request: the lower-case hex HMAC-SHA256
// of StringToSign, keyed with secret.
func Sign(secret []byte, method, path string, q url.Values) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(StringToSign(method, path, q)))
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether sig is the signature of the request. The hex
// digits of sig may be in either case.
func Verify(secret []byte, method, path string, q url.Values, sig string) bool {
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(StringToSign(method, path, q)))
	return hmac.Equal(got, mac.Sum(nil))
}
