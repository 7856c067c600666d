// Package retention reads the clean-up rules of the log janitor and decides
// which files have expired.
//
// A rules file has one rule per line, a glob pattern and a maximum age:
//
//	# keep access logs for a month, debug dumps for a day
//	access-*.log   30d
//	*.dump         36h
//
// Blank lines and lines starting with '#' are ignored.
package retention

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
)

// ErrNegative is returned for a negative age.
var ErrNegative = errors.New("retention: age must not be negative")

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// Rule expires the files whose base name matches Pattern (path.Match
// syntax) once they are older than MaxAge.
type Rule struct {
	Pattern string
	MaxAge  time.Duration
}

// ParseAge parses a maximum age: a whole number of days ("30d") or weeks
// ("2w"), or anything time.ParseDuration accepts ("36h", "90m"). An age of
// zero ("0d", "0s") is valid: matching files expire as soon as they are
// seen. Anything else is an error.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	var err error
	switch {
	case strings.HasSuffix(s, "d"), strings.HasSuffix(s, "w"):
		unit := day
		if strings.HasSuffix(s, "w") {
			unit = week
		}
		var n int
		n, err = strconv.Atoi(s[:len(s)-1])
		d = time.Duration(n) * unit
	default:
		d, err = time.ParseDuration(s)
	}
	if err != nil {
		return 0, fmt.Errorf("retention: invalid age %q: %w", s, err)
	}
	if d < 0 {
		return 0, fmt.Errorf("%w: %q", ErrNegative, s)
	}
	return d, nil
}

// ParseRules reads rules from r. Errors name the line: "line 3: ...".
func ParseRules(r io.Reader) ([]Rule, error) {
	var rules []Rule
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"PATTERN AGE\", got %q", n, line)
		}
		if _, err := path.Match(fields[0], ""); err != nil {
			return nil, fmt.Errorf("line %d: bad pattern %q: %w", n, fields[0], err)
		}
		age, err := ParseAge(fields[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		rules = append(rules, Rule{Pattern: fields[0], MaxAge: age})
	}
	return rules, sc.Err()
}

// Match returns the first rule whose pattern matches the base name of
// file, and false if none does.
func Match(rules []Rule, file string) (Rule, bool) {
	base := path.Base(file)
	for _, r := range rules {
		if ok, _ := path.Match(r.Pattern, base); ok {
			return r, true
		}
	}
	return Rule{}, false
}

// Expired reports whether a file last modified at modTime is older than
// the rule's MaxAge at time now.
func (r Rule) Expired(modTime, now time.Time) bool {
	return now.Sub(modTime) > r.MaxAge
}
