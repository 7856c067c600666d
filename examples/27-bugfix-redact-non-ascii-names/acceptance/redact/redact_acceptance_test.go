package redact_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"example.com/supportdesk/redact"
)

func TestAcceptanceNameNonASCII(t *testing.T) {
	tests := []struct{ in, want string }{
		// from the report
		{"Émile Zola", "É**** Z***"},
		{"Zoë Saldana", "Z** S******"},
		{"José Álvarez-Núñez", "J*** Á******-N****"},
		{"Søren Kierkegaard", "S**** K**********"},
		{"Łukasz Żółć", "Ł***** Ż***"},
		{"Ольга Петрова", "О**** П******"},
		{"山田 太郎", "山* 太*"},
		{"Ñ", "Ñ"},
		{"Öz", "Ö*"},
		{"Anaïs Nin", "A**** N**"},
	}
	for _, tt := range tests {
		if got := redact.Name(tt.in); got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAcceptanceEmailNonASCII(t *testing.T) {
	tests := []struct{ in, want string }{
		{"jürgen@example.de", "j*****@example.de"},
		{"élodie.martin@exemple.fr", "é************@exemple.fr"},
		{"ñ@example.es", "ñ@example.es"},
		{"müller", "m*****"},
		{"佐藤@example.jp", "佐*@example.jp"},
	}
	for _, tt := range tests {
		if got := redact.Email(tt.in); got != tt.want {
			t.Errorf("Email(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The documented contract, checked on a mix of names: valid UTF-8, same
// number of characters, separators and the first letter of every word kept,
// everything else masked.
func TestAcceptanceNameContract(t *testing.T) {
	names := []string{
		"Ada Lovelace", "Jean-Luc Picard", "Émile Zola", "Zoë Ødegaard",
		"Björk Guðmundsdóttir", "Nguyễn Thị Minh Khai", "Ἀριστοτέλης",
		"Ямада-Таро", "Ana María  Pérez", "O'Neil", "x",
	}
	for _, in := range names {
		got := redact.Name(in)
		if !utf8.ValidString(got) {
			t.Errorf("Name(%q) = %q is not valid UTF-8", in, got)
			continue
		}
		src, dst := []rune(in), []rune(got)
		if len(src) != len(dst) {
			t.Errorf("Name(%q) = %q has %d characters, want %d", in, got, len(dst), len(src))
			continue
		}
		for i, r := range src {
			wordStart := i == 0 || src[i-1] == ' ' || src[i-1] == '-'
			var want rune
			switch {
			case r == ' ' || r == '-':
				want = r
			case wordStart:
				want = r
			default:
				want = redact.Mask
			}
			if dst[i] != want {
				t.Errorf("Name(%q) = %q: character %d is %q, want %q", in, got, i, dst[i], want)
				break
			}
		}
	}
}

func TestAcceptanceASCIIUnchanged(t *testing.T) {
	names := []struct{ in, want string }{
		{"", ""},
		{"X", "X"},
		{"Li", "L*"},
		{"Ada Lovelace", "A** L*******"},
		{"Jean-Luc Picard", "J***-L** P*****"},
		{"  Grace  Hopper ", "  G****  H***** "},
		{"-Ann-", "-A**-"},
	}
	for _, tt := range names {
		if got := redact.Name(tt.in); got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	emails := []struct{ in, want string }{
		{"ada@example.com", "a**@example.com"},
		{"a@example.com", "a@example.com"},
		{"first.last+tag@mail.example.org", "f*************@mail.example.org"},
		{"not-an-address", "n*************"},
		{"@example.com", "@example.com"},
		{"odd@name@example.com", "o*******@example.com"},
	}
	for _, tt := range emails {
		if got := redact.Email(tt.in); got != tt.want {
			t.Errorf("Email(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAcceptanceDigitsUnchanged(t *testing.T) {
	tests := []struct {
		in   string
		keep int
		want string
	}{
		{"4111 1111 1111 1234", 4, "**** **** **** 1234"},
		{"+44 20 7946 0958", 3, "+** ** **** *958"},
		{"12", 4, "12"},
		{"123", 0, "***"},
		{"Tél. 01 23 45", 2, "Tél. ** ** 45"},
	}
	for _, tt := range tests {
		if got := redact.Digits(tt.in, tt.keep); got != tt.want {
			t.Errorf("Digits(%q, %d) = %q, want %q", tt.in, tt.keep, got, tt.want)
		}
	}
	if strings.ContainsRune(redact.Digits("no digits here", 0), redact.Mask) {
		t.Error("Digits masked a character that is not a digit")
	}
}
