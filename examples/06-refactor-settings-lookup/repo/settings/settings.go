// Package settings reads typed configuration values from environment
// variables, falling back to defaults for settings that are not set.
package settings

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Loader reads settings from environment variables that share a prefix.
// A setting name such as "log-level" maps to the variable PREFIX_LOG_LEVEL:
// the name is upper-cased, dashes become underscores and the prefix is
// prepended as is.
type Loader struct {
	prefix string
	lookup func(string) (string, bool)
}

// New returns a Loader that reads the process environment.
func New(prefix string) *Loader {
	return NewWithLookup(prefix, os.LookupEnv)
}

// NewWithLookup returns a Loader that reads variables through lookup, which
// has the signature of os.LookupEnv. It is meant for tests.
func NewWithLookup(prefix string, lookup func(string) (string, bool)) *Loader {
	return &Loader{prefix: prefix, lookup: lookup}
}

// String returns the value of the setting, with surrounding whitespace
// removed, or def if the variable is unset or blank.
func (l *Loader) String(name, def string) string {
	key := l.prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	v, ok := l.lookup(key)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return def
	}
	return v
}

// Int returns the setting parsed as a decimal integer, or def if the
// variable is unset or blank. If the value does not parse, Int returns def
// and an error that names the variable.
func (l *Loader) Int(name string, def int) (int, error) {
	key := l.prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	v, ok := l.lookup(key)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def, fmt.Errorf("settings: %s: %w", key, err)
	}
	return n, nil
}

// Bool returns the setting parsed with strconv.ParseBool, or def if the
// variable is unset or blank. If the value does not parse, Bool returns def
// and an error that names the variable.
func (l *Loader) Bool(name string, def bool) (bool, error) {
	key := l.prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	v, ok := l.lookup(key)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, fmt.Errorf("settings: %s: %w", key, err)
	}
	return b, nil
}

// Duration returns the setting parsed with time.ParseDuration, or def if
// the variable is unset or blank. If the value does not parse, Duration
// returns def and an error that names the variable.
func (l *Loader) Duration(name string, def time.Duration) (time.Duration, error) {
	key := l.prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	v, ok := l.lookup(key)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return def, fmt.Errorf("settings: %s: %w", key, err)
	}
	return d, nil
}
