package sign

import (
	"net/url"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abcXYZ019-._~", "abcXYZ019-._~"},
		{"a b", "a%20b"},
		{"a+b=c&d", "a%2Bb%3Dc%26d"},
		{"ü", "%C3%BC"},
		{"/path?", "%2Fpath%3F"},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		q    url.Values
		want string
	}{
		{nil, ""},
		{url.Values{}, ""},
		{url.Values{"id": {"42"}}, "id=42"},
		{url.Values{"tag": {"new", "sale"}}, "tag=new&tag=sale"},
		{url.Values{"q": {"red shoes"}}, "q=red%20shoes"},
	}
	for _, tt := range tests {
		if got := CanonicalQuery(tt.q); got != tt.want {
			t.Errorf("CanonicalQuery(%v) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestStringToSign(t *testing.T) {
	got := StringToSign("get", "", url.Values{"id": {"7"}})
	if want := "GET\n/\nid=7"; got != want {
		t.Errorf("StringToSign = %q, want %q", got, want)
	}
}

func TestSignAndVerify(t *testing.T) {
	secret := []byte("s3cret")
	q := url.Values{"order": {"1001"}}
	sig := Sign(secret, "POST", "/v1/orders/confirm", q)
	if len(sig) != 64 || strings.ToLower(sig) != sig {
		t.Fatalf("Sign = %q, want 64 lower-case hex digits", sig)
	}
	if !Verify(secret, "POST", "/v1/orders/confirm", q, sig) {
		t.Error("Verify rejects the signature Sign made")
	}
	if !Verify(secret, "POST", "/v1/orders/confirm", q, strings.ToUpper(sig)) {
		t.Error("Verify rejects upper-case hex")
	}
	if Verify([]byte("other"), "POST", "/v1/orders/confirm", q, sig) {
		t.Error("Verify accepts a signature made with another secret")
	}
	if Verify(secret, "POST", "/v1/orders/cancel", q, sig) {
		t.Error("Verify accepts the signature for another path")
	}
	if Verify(secret, "POST", "/v1/orders/confirm", q, "not hex") {
		t.Error("Verify accepts a malformed signature")
	}
}
