package settings_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/worker/settings"
)

// The new helpers, with exactly these signatures.
var (
	_ func(*settings.Loader, string) string         = (*settings.Loader).Key
	_ func(*settings.Loader, string) (string, bool) = (*settings.Loader).Lookup
)

// The existing API must not change.
var (
	_ func(string) *settings.Loader                                        = settings.New
	_ func(string, func(string) (string, bool)) *settings.Loader           = settings.NewWithLookup
	_ func(*settings.Loader, string, string) string                        = (*settings.Loader).String
	_ func(*settings.Loader, string, int) (int, error)                     = (*settings.Loader).Int
	_ func(*settings.Loader, string, bool) (bool, error)                   = (*settings.Loader).Bool
	_ func(*settings.Loader, string, time.Duration) (time.Duration, error) = (*settings.Loader).Duration
)

var env = map[string]string{
	"APP_LOG_LEVEL":    " debug ",
	"APP_WORKERS":      "8",
	"APP_NEG":          "-3",
	"APP_PADDED_INT":   "\t42\n",
	"APP_VERBOSE":      "true",
	"APP_QUIET":        "0",
	"APP_TIMEOUT":      "1m30s",
	"APP_EMPTY":        "",
	"APP_BLANK":        "   ",
	"APP_BAD_INT":      "many",
	"APP_BAD_BOOL":     "yes please",
	"APP_BAD_DURATION": "90",
	"APP_LOWER":        "upper-cased key",
	"app_lower":        "must not be read",
	"OTHER_WORKERS":    "99",
}

func loader(prefix string) (*settings.Loader, *[]string) {
	var asked []string
	return settings.NewWithLookup(prefix, func(k string) (string, bool) {
		asked = append(asked, k)
		v, ok := env[k]
		return v, ok
	}), &asked
}

func TestAcceptanceKey(t *testing.T) {
	l, _ := loader("APP_")
	tests := map[string]string{
		"workers":        "APP_WORKERS",
		"log-level":      "APP_LOG_LEVEL",
		"Log-Level":      "APP_LOG_LEVEL",
		"retry-max-wait": "APP_RETRY_MAX_WAIT",
		"already_under":  "APP_ALREADY_UNDER",
		"":               "APP_",
	}
	for name, want := range tests {
		if got := l.Key(name); got != want {
			t.Errorf("Key(%q) = %q, want %q", name, got, want)
		}
	}
	if got := settings.NewWithLookup("", nil).Key("x-y"); got != "X_Y" {
		t.Errorf("Key with empty prefix = %q, want X_Y", got)
	}
}

func TestAcceptanceLookup(t *testing.T) {
	l, asked := loader("APP_")
	tests := []struct {
		name string
		want string
		ok   bool
	}{
		{"log-level", "debug", true},
		{"workers", "8", true},
		{"padded-int", "42", true},
		{"lower", "upper-cased key", true},
		{"empty", "", false},
		{"blank", "", false},
		{"missing", "", false},
	}
	for _, tt := range tests {
		got, ok := l.Lookup(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	*asked = nil
	l.Lookup("retry-max-wait")
	if len(*asked) == 0 {
		t.Errorf("Lookup(retry-max-wait) did not look anything up")
	}
	for _, k := range *asked {
		if k != "APP_RETRY_MAX_WAIT" {
			t.Errorf("Lookup(retry-max-wait) looked up %q, want APP_RETRY_MAX_WAIT", k)
		}
	}
}

func TestAcceptanceStringUnchanged(t *testing.T) {
	l, _ := loader("APP_")
	tests := []struct{ name, def, want string }{
		{"log-level", "info", "debug"},
		{"LOG-LEVEL", "info", "debug"},
		{"empty", "x", "x"},
		{"blank", "x", "x"},
		{"missing", "", ""},
		{"lower", "", "upper-cased key"},
	}
	for _, tt := range tests {
		if got := l.String(tt.name, tt.def); got != tt.want {
			t.Errorf("String(%q, %q) = %q, want %q", tt.name, tt.def, got, tt.want)
		}
	}
	other, _ := loader("OTHER_")
	if got, err := other.Int("workers", 1); err != nil || got != 99 {
		t.Errorf("OTHER_ Int(workers) = %d, %v; want 99, nil", got, err)
	}
}

func TestAcceptanceIntUnchanged(t *testing.T) {
	l, _ := loader("APP_")
	tests := []struct {
		name    string
		def     int
		want    int
		wantErr bool
	}{
		{"workers", 1, 8, false},
		{"neg", 1, -3, false},
		{"padded-int", 1, 42, false},
		{"missing", 5, 5, false},
		{"blank", 6, 6, false},
		{"empty", 7, 7, false},
		{"bad-int", 2, 2, true},
	}
	for _, tt := range tests {
		got, err := l.Int(tt.name, tt.def)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Int(%q, %d) = %d, %v; want %d, error %v", tt.name, tt.def, got, err, tt.want, tt.wantErr)
		}
	}
	_, err := l.Int("bad-int", 0)
	if err == nil || !strings.Contains(err.Error(), "APP_BAD_INT") || !errors.Is(err, strconv.ErrSyntax) {
		t.Errorf("Int(bad-int) error = %v; want it to name APP_BAD_INT and wrap strconv.ErrSyntax", err)
	}
}

func TestAcceptanceBoolUnchanged(t *testing.T) {
	l, _ := loader("APP_")
	if got, err := l.Bool("verbose", false); err != nil || !got {
		t.Errorf("Bool(verbose) = %v, %v; want true, nil", got, err)
	}
	if got, err := l.Bool("quiet", true); err != nil || got {
		t.Errorf("Bool(quiet) = %v, %v; want false, nil", got, err)
	}
	if got, err := l.Bool("blank", true); err != nil || !got {
		t.Errorf("Bool(blank) = %v, %v; want default true, nil", got, err)
	}
	got, err := l.Bool("bad-bool", true)
	if !got || err == nil || !strings.Contains(err.Error(), "APP_BAD_BOOL") || !errors.Is(err, strconv.ErrSyntax) {
		t.Errorf("Bool(bad-bool) = %v, %v; want true and an error naming APP_BAD_BOOL wrapping strconv.ErrSyntax", got, err)
	}
}

func TestAcceptanceDurationUnchanged(t *testing.T) {
	l, _ := loader("APP_")
	if got, err := l.Duration("timeout", time.Second); err != nil || got != 90*time.Second {
		t.Errorf("Duration(timeout) = %v, %v; want 1m30s, nil", got, err)
	}
	if got, err := l.Duration("missing", 5*time.Second); err != nil || got != 5*time.Second {
		t.Errorf("Duration(missing) = %v, %v; want 5s, nil", got, err)
	}
	got, err := l.Duration("bad-duration", time.Minute)
	if got != time.Minute || err == nil || !strings.Contains(err.Error(), "APP_BAD_DURATION") {
		t.Errorf("Duration(bad-duration) = %v, %v; want 1m0s and an error naming APP_BAD_DURATION", got, err)
	}
}

func TestAcceptanceNewReadsEnvironment(t *testing.T) {
	t.Setenv("ACCEPTANCE_SETTINGS_PORT", " 8080 ")
	t.Setenv("ACCEPTANCE_SETTINGS_HOST", "  ")
	l := settings.New("ACCEPTANCE_SETTINGS_")
	if got, ok := l.Lookup("port"); !ok || got != "8080" {
		t.Errorf("Lookup(port) = %q, %v; want 8080, true", got, ok)
	}
	if got, err := l.Int("port", 1); err != nil || got != 8080 {
		t.Errorf("Int(port) = %d, %v; want 8080, nil", got, err)
	}
	if got := l.String("host", "localhost"); got != "localhost" {
		t.Errorf("String(host) = %q, want localhost", got)
	}
}
