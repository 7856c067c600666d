package sign_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"testing"

	"example.com/partnerapi/sign"
)

// Map iteration order in Go is random, so every order-sensitive check is
// repeated many times: an implementation that depends on it cannot pass by
// luck.
const repeat = 100

func hmacHex(secret, text string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(text))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestAcceptanceCanonicalQuerySorted(t *testing.T) {
	tests := []struct {
		q    url.Values
		want string
	}{
		// the request from the report
		{url.Values{"sku": {"A-100"}, "qty": {"3"}, "currency": {"EUR"}, "note": {"gift wrap"}},
			"currency=EUR&note=gift%20wrap&qty=3&sku=A-100"},
		{url.Values{"b": {"2"}, "a": {"1"}}, "a=1&b=2"},
		{url.Values{"z": {"26"}, "y": {"25"}, "x": {"24"}, "w": {"23"}, "v": {"22"}, "u": {"21"},
			"t": {"20"}, "s": {"19"}, "r": {"18"}, "q": {"17"}, "p": {"16"}, "o": {"15"}},
			"o=15&p=16&q=17&r=18&s=19&t=20&u=21&v=22&w=23&x=24&y=25&z=26"},
		// byte order: upper case before lower case, '_' before lower-case letters
		{url.Values{"ab": {"4"}, "a_b": {"3"}, "a": {"2"}, "B": {"1"}}, "B=1&a=2&a_b=3&ab=4"},
		// repeated parameters keep the order of their values
		{url.Values{"tag": {"zeta", "alpha", "mid"}, "id": {"9"}, "color": {"red", "blue"}},
			"color=red&color=blue&id=9&tag=zeta&tag=alpha&tag=mid"},
		{url.Values{"x": {"b", "a"}, "x-y": {"c"}}, "x=b&x=a&x-y=c"},
		// names and values are escaped
		{url.Values{"q": {"red shoes & socks"}, "city": {"Zürich"}, "path": {"/a/b"}},
			"city=Z%C3%BCrich&path=%2Fa%2Fb&q=red%20shoes%20%26%20socks"},
		{url.Values{"empty": {""}, "k": {"v"}}, "empty=&k=v"},
		{nil, ""},
		{url.Values{}, ""},
		{url.Values{"only": {"1"}}, "only=1"},
	}
	for _, tt := range tests {
		for i := 0; i < repeat; i++ {
			if got := sign.CanonicalQuery(tt.q); got != tt.want {
				t.Errorf("CanonicalQuery(%v) = %q, want %q", tt.q, got, tt.want)
				break
			}
		}
	}
}

func TestAcceptanceCanonicalQueryFromParsedURL(t *testing.T) {
	q, err := url.ParseQuery("sku=A-100&qty=3&currency=EUR&note=gift+wrap&sku=B-7")
	if err != nil {
		t.Fatal(err)
	}
	want := "currency=EUR&note=gift%20wrap&qty=3&sku=A-100&sku=B-7"
	for i := 0; i < repeat; i++ {
		if got := sign.CanonicalQuery(q); got != want {
			t.Fatalf("CanonicalQuery = %q, want %q", got, want)
		}
	}
}

func TestAcceptanceSignMatchesPartner(t *testing.T) {
	// What the partner computes on their side, following the documented
	// format.
	q := url.Values{"sku": {"A-100"}, "qty": {"3"}, "currency": {"EUR"}, "note": {"gift wrap"}}
	text := "POST\n/v1/orders\ncurrency=EUR&note=gift%20wrap&qty=3&sku=A-100"
	want := hmacHex("partner-secret", text)
	for i := 0; i < repeat; i++ {
		if got := sign.StringToSign("post", "/v1/orders", q); got != text {
			t.Fatalf("StringToSign = %q, want %q", got, text)
		}
		if got := sign.Sign([]byte("partner-secret"), "POST", "/v1/orders", q); got != want {
			t.Fatalf("Sign = %s, want %s", got, want)
		}
		if !sign.Verify([]byte("partner-secret"), "POST", "/v1/orders", q, want) {
			t.Fatalf("Verify rejects the partner's valid signature %s", want)
		}
	}
}

func TestAcceptanceVerifyStillRejects(t *testing.T) {
	secret := []byte("partner-secret")
	q := url.Values{"sku": {"A-100"}, "qty": {"3"}, "currency": {"EUR"}}
	sig := sign.Sign(secret, "POST", "/v1/orders", q)
	tampered := url.Values{"sku": {"A-100"}, "qty": {"30"}, "currency": {"EUR"}}
	swapped := url.Values{"tag": {"b", "a"}}
	for i := 0; i < repeat; i++ {
		if sign.Verify(secret, "POST", "/v1/orders", tampered, sig) {
			t.Fatal("Verify accepts a signature for a tampered query")
		}
		if sign.Verify([]byte("wrong"), "POST", "/v1/orders", q, sig) {
			t.Fatal("Verify accepts a signature made with another secret")
		}
		if sign.Verify(secret, "GET", "/v1/orders", q, sig) {
			t.Fatal("Verify accepts a signature made for another method")
		}
		if sign.Verify(secret, "POST", "/v1/orders", swapped, sign.Sign(secret, "POST", "/v1/orders", url.Values{"tag": {"a", "b"}})) {
			t.Fatal("Verify ignores the order of repeated values")
		}
		if sign.Verify(secret, "POST", "/v1/orders", q, "zz") {
			t.Fatal("Verify accepts a malformed signature")
		}
	}
}

func TestAcceptanceEscapeUnchanged(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abcXYZ019-._~", "abcXYZ019-._~"},
		{"a b", "a%20b"},
		{"a+b=c&d", "a%2Bb%3Dc%26d"},
		{"ü", "%C3%BC"},
	}
	for _, tt := range tests {
		if got := sign.Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
