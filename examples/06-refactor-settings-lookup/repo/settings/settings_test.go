package settings

import (
	"testing"
	"time"
)

func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestLoader(t *testing.T) {
	l := NewWithLookup("APP_", mapLookup(map[string]string{
		"APP_LOG_LEVEL": " debug ",
		"APP_WORKERS":   "8",
		"APP_VERBOSE":   "true",
		"APP_TIMEOUT":   "1m30s",
		"APP_EMPTY":     "   ",
	}))
	if got := l.String("log-level", "info"); got != "debug" {
		t.Errorf("String(log-level) = %q, want debug", got)
	}
	if got := l.String("empty", "x"); got != "x" {
		t.Errorf("String(empty) = %q, want default x", got)
	}
	if got, err := l.Int("workers", 1); err != nil || got != 8 {
		t.Errorf("Int(workers) = %d, %v; want 8, nil", got, err)
	}
	if got, err := l.Bool("verbose", false); err != nil || !got {
		t.Errorf("Bool(verbose) = %v, %v; want true, nil", got, err)
	}
	if got, err := l.Duration("timeout", time.Second); err != nil || got != 90*time.Second {
		t.Errorf("Duration(timeout) = %v, %v; want 1m30s, nil", got, err)
	}
	if got, err := l.Int("missing", 3); err != nil || got != 3 {
		t.Errorf("Int(missing) = %d, %v; want 3, nil", got, err)
	}
}

func TestLoaderParseErrors(t *testing.T) {
	l := NewWithLookup("APP_", mapLookup(map[string]string{"APP_WORKERS": "many"}))
	got, err := l.Int("workers", 2)
	if err == nil || got != 2 {
		t.Errorf("Int(workers) = %d, %v; want 2 and an error", got, err)
	}
}
