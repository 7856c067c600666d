package control_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"example.com/pkgindex/control"
)

const index = `Package: curl
Version: 8.5.0-2
Depends: libc6 (>= 2.34), libcurl4 (= 8.5.0-2), zlib1g
Description: command line tool for transferring data with URL syntax
 curl is a command line tool for transferring data with URL syntax.

Package: zlib1g
Version: 1:1.3.dfsg-3

Package: libcurl4
Depends: libc6 (>= 2.34), libssl3 (>= 3.0.0)
Description: easy-to-use client-side URL transfer library

# a comment between stanzas

Package: ca-certificates
Version: 20240203
Description: Common CA certificates
 Contains the certificate authorities shipped with Mozilla's browser.
 Please note that Debian can neither confirm nor deny their authenticity.

Package: base-files
`

func same(a, b control.Package) bool {
	return a.Name == b.Name && a.Version == b.Version && slices.Equal(a.Depends, b.Depends) &&
		a.Description == b.Description && a.Long == b.Long
}

func check(t *testing.T, in string, want []control.Package) {
	t.Helper()
	got, err := control.Parse(strings.NewReader(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("Parse returned %d packages, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !same(got[i], want[i]) {
			t.Errorf("package %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
}

func TestAcceptanceStanzasAreIndependent(t *testing.T) {
	check(t, index, []control.Package{
		{
			Name: "curl", Version: "8.5.0-2",
			Depends:     []string{"libc6", "libcurl4", "zlib1g"},
			Description: "command line tool for transferring data with URL syntax",
			Long:        "curl is a command line tool for transferring data with URL syntax.",
		},
		{Name: "zlib1g", Version: "1:1.3.dfsg-3"},
		{
			Name:        "libcurl4",
			Depends:     []string{"libc6", "libssl3"},
			Description: "easy-to-use client-side URL transfer library",
		},
		{
			Name: "ca-certificates", Version: "20240203",
			Description: "Common CA certificates",
			Long: "Contains the certificate authorities shipped with Mozilla's browser.\n" +
				"Please note that Debian can neither confirm nor deny their authenticity.",
		},
		{Name: "base-files"},
	})
}

func TestAcceptanceManyStanzasWithDepends(t *testing.T) {
	// Every stanza has its own dependency list; none may show up in
	// another package, including packages parsed earlier.
	var b strings.Builder
	var want []control.Package
	for _, p := range []struct {
		name string
		deps []string
	}{
		{"a", []string{"x1", "x2", "x3"}},
		{"b", []string{"y1"}},
		{"c", []string{"z1", "z2"}},
		{"d", nil},
		{"e", []string{"w1", "w2", "w3", "w4", "w5"}},
		{"f", []string{"v1"}},
	} {
		b.WriteString("Package: " + p.name + "\n")
		if p.deps != nil {
			b.WriteString("Depends: " + strings.Join(p.deps, ", ") + "\n")
		}
		b.WriteString("\n")
		want = append(want, control.Package{Name: p.name, Depends: p.deps})
	}
	check(t, b.String(), want)
}

func TestAcceptanceLaterStanzaWithoutName(t *testing.T) {
	for _, in := range []string{
		"Package: a\nVersion: 1.0\n\nVersion: 2.0\n",
		"Package: a\nVersion: 1.0\n\nVersion: 2.0\n\nPackage: c\n",
		"Package: a\n\nPackage: b\n\nDescription: orphan\n",
	} {
		if _, err := control.Parse(strings.NewReader(in)); !errors.Is(err, control.ErrNoName) {
			t.Errorf("Parse(%q) error = %v, want ErrNoName", in, err)
		}
	}
}

func TestAcceptanceUnchangedBehaviour(t *testing.T) {
	check(t, "", nil)
	check(t, "\n\n# only comments\n\n", nil)
	check(t, "PACKAGE: Mixed\r\nversion: 0.1\r\nX-Custom: ignored\r\ndepends: one,two , three(>=1)\r\n",
		[]control.Package{{Name: "Mixed", Version: "0.1", Depends: []string{"one", "two", "three"}}})
	check(t, "\n\nPackage: a\nDescription: short\n\tlong one\n  long two\n\n\n\n",
		[]control.Package{{Name: "a", Description: "short", Long: "long one\nlong two"}})

	errCases := []struct {
		in, want string
	}{
		{"Package: a\nVersion 1.0\n", "line 2"},
		{"Package: a\n\n continuation after blank line\n", "line 3"},
		{"Package: a\nVersion: 1\n continuation of Version\n", "line 3"},
	}
	for _, tt := range errCases {
		_, err := control.Parse(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want one mentioning %q", tt.in, err, tt.want)
		}
	}
	if _, err := control.Parse(strings.NewReader("Version: 1.0\n")); !errors.Is(err, control.ErrNoName) {
		t.Errorf("first stanza without Package: error = %v, want ErrNoName", err)
	}
}
