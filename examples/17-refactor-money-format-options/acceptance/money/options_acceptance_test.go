package money_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"example.com/invoicing/money"
)

// The new API and the old one, with unchanged signatures.
var (
	_ func(int64, money.Options) string = money.Format
	_ func(int64, string, bool) string  = money.FormatAmount
	_ func([]int64) (int64, error)      = money.Sum
	_ func(money.Invoice) string        = money.Invoice.String
	_                                   = money.Options{Symbol: "$", Thousands: true}
	_ string                            = money.Options{}.Symbol
	_ bool                              = money.Options{}.Thousands
)

var cases = []struct {
	cents     int64
	symbol    string
	thousands bool
	want      string
}{
	{0, "$", true, "$0.00"},
	{0, "", false, "0.00"},
	{1, "$", true, "$0.01"},
	{-1, "$", true, "-$0.01"},
	{10, "$", false, "$0.10"},
	{99, "", false, "0.99"},
	{100, "€", true, "€1.00"},
	{-500, "$", true, "-$5.00"},
	{99999, "$", true, "$999.99"},
	{100000, "$", true, "$1,000.00"},
	{100000, "$", false, "$1000.00"},
	{123456, "$", true, "$1,234.56"},
	{123456, "$", false, "$1234.56"},
	{-123456, "£", true, "-£1,234.56"},
	{1234567, "$", true, "$12,345.67"},
	{12345678, "$", true, "$123,456.78"},
	{100000000, "€", true, "€1,000,000.00"},
	{-100000000, "€", false, "-€1000000.00"},
	{123456789, "CHF ", true, "CHF 1,234,567.89"},
	{math.MaxInt64, "$", true, "$92,233,720,368,547,758.07"},
	{math.MinInt64, "$", true, "-$92,233,720,368,547,758.08"},
	{math.MinInt64, "", false, "-92233720368547758.08"},
}

func TestAcceptanceFormat(t *testing.T) {
	for _, tt := range cases {
		got := money.Format(tt.cents, money.Options{Symbol: tt.symbol, Thousands: tt.thousands})
		if got != tt.want {
			t.Errorf("Format(%d, Options{%q, %v}) = %q, want %q", tt.cents, tt.symbol, tt.thousands, got, tt.want)
		}
	}
}

func TestAcceptanceFormatAmountUnchanged(t *testing.T) {
	for _, tt := range cases {
		got := money.FormatAmount(tt.cents, tt.symbol, tt.thousands)
		if got != tt.want {
			t.Errorf("FormatAmount(%d, %q, %v) = %q, want %q", tt.cents, tt.symbol, tt.thousands, got, tt.want)
		}
	}
}

func TestAcceptanceZeroOptions(t *testing.T) {
	if got, want := money.Format(-123456789, money.Options{}), "-1234567.89"; got != want {
		t.Errorf("Format(-123456789, Options{}) = %q, want %q", got, want)
	}
}

func TestAcceptanceInvoiceUnchanged(t *testing.T) {
	inv := money.Invoice{Currency: "€", Lines: []money.Line{
		{Description: "Hosting", Quantity: 12, UnitCents: 2500},
		{Description: "Setup", Quantity: 1, UnitCents: 150000},
		{Description: "Refund", Quantity: -2, UnitCents: 999},
	}}
	want := "Hosting                12 x       €25.00 =      €300.00\n" +
		"Setup                   1 x    €1,500.00 =    €1,500.00\n" +
		"Refund                 -2 x        €9.99 =      -€19.98\n" +
		"TOTAL                                         €1,780.02\n"
	if got := inv.String(); got != want {
		t.Errorf("Invoice.String() =\n%q\nwant\n%q", got, want)
	}
	over := money.Invoice{Currency: "$", Lines: []money.Line{
		{Description: "a", Quantity: 1, UnitCents: math.MaxInt64},
		{Description: "b", Quantity: 1, UnitCents: 1},
	}}
	if got := over.String(); !strings.HasSuffix(got, "TOTAL                overflow\n") {
		t.Errorf("Invoice.String() with overflowing total = %q", got)
	}
}

func TestAcceptanceFormatAmountDeprecated(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var doc string
	found := false
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatalf("parsing %s: %v", name, err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if ok && fn.Recv == nil && fn.Name.Name == "FormatAmount" {
				found = true
				doc = fn.Doc.Text()
			}
		}
	}
	if !found {
		t.Fatal("func FormatAmount not found in the package sources")
	}
	var deprecation string
	for _, para := range strings.Split(doc, "\n\n") {
		if strings.HasPrefix(para, "Deprecated: ") {
			deprecation = para
		}
	}
	if deprecation == "" {
		t.Fatalf("FormatAmount's doc comment has no paragraph starting with \"Deprecated: \":\n%s", doc)
	}
	if !strings.Contains(deprecation, "Format") {
		t.Errorf("FormatAmount's deprecation notice does not point to Format: %q", deprecation)
	}
}
