package control

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const curl = `Package: curl
Version: 8.5.0-2
Depends: libc6 (>= 2.34), libcurl4 (= 8.5.0-2), zlib1g
Description: command line tool for transferring data with URL syntax
 curl is a command line tool for transferring data with URL syntax,
 supporting many protocols.
`

func TestParseOne(t *testing.T) {
	pkgs, err := Parse(strings.NewReader(curl))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(pkgs) != 1 {
		t.Fatalf("got %d packages, want 1", len(pkgs))
	}
	p := pkgs[0]
	if p.Name != "curl" || p.Version != "8.5.0-2" {
		t.Errorf("got %s %s, want curl 8.5.0-2", p.Name, p.Version)
	}
	if want := []string{"libc6", "libcurl4", "zlib1g"}; !slices.Equal(p.Depends, want) {
		t.Errorf("Depends = %q, want %q", p.Depends, want)
	}
	if p.Description != "command line tool for transferring data with URL syntax" {
		t.Errorf("Description = %q", p.Description)
	}
	if want := "curl is a command line tool for transferring data with URL syntax,\nsupporting many protocols."; p.Long != want {
		t.Errorf("Long = %q, want %q", p.Long, want)
	}
}

func TestParseSeveral(t *testing.T) {
	in := "# generated index\n\nPackage: a\nVersion: 1.0\n\n\n\npackage: b\nVERSION: 2.0\nX-Unknown: ignored\n\nPackage: c\nVersion: 3.0"
	pkgs, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Name+"="+p.Version)
	}
	if want := []string{"a=1.0", "b=2.0", "c=3.0"}; !slices.Equal(got, want) {
		t.Errorf("packages = %q, want %q", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	_, err := Parse(strings.NewReader("Package: a\nVersion 1.0\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("missing colon: error = %v, want one mentioning line 2", err)
	}
	_, err = Parse(strings.NewReader("Version: 1.0\n\nPackage: b\n"))
	if !errors.Is(err, ErrNoName) {
		t.Errorf("stanza without Package: error = %v, want ErrNoName", err)
	}
	_, err = Parse(strings.NewReader(" stray continuation\n"))
	if err == nil {
		t.Error("continuation line outside a stanza: no error")
	}
}

func TestParseEmpty(t *testing.T) {
	pkgs, err := Parse(strings.NewReader("\n# nothing here\n\n"))
	if err != nil || len(pkgs) != 0 {
		t.Errorf("Parse(empty) = %v, %v; want no packages, no error", pkgs, err)
	}
}
