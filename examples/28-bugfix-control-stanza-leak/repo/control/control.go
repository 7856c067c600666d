// Package control reads package index files in the Debian control format:
// stanzas of "Field: value" lines, separated by blank lines.
//
//	Package: curl
//	Version: 8.5.0-2
//	Depends: libc6 (>= 2.34), libcurl4 (= 8.5.0-2), zlib1g
//	Description: command line tool for transferring data with URL syntax
//	 curl is a command line tool for transferring data with URL syntax.
package control

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNoName is returned for a stanza without a Package field.
var ErrNoName = errors.New("control: stanza has no Package field")

// Package is one stanza of an index file. Fields a stanza does not have
// are left empty.
type Package struct {
	Name    string
	Version string
	// Depends lists the names of the packages this one depends on, in the
	// order given, without version constraints ("libc6 (>= 2.34)" is
	// "libc6").
	Depends []string
	// Description is the first line of the description; Long holds the
	// continuation lines, joined with "\n", each with its leading
	// whitespace removed.
	Description string
	Long        string
}

// Parse reads all stanzas from r, in file order. Field names are
// case-insensitive, unknown fields are ignored, and lines starting with '#'
// are comments. Any number of blank lines may separate stanzas. Errors give
// the line number.
func Parse(r io.Reader) ([]Package, error) {
	var (
		pkgs    []Package
		cur     Package
		inPkg   bool
		lastKey string
		lineNo  int
	)
	flush := func() error {
		if !inPkg {
			return nil
		}
		if cur.Name == "" {
			return fmt.Errorf("line %d: %w", lineNo, ErrNoName)
		}
		pkgs = append(pkgs, cur)
		inPkg = false
		return nil
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case line == "":
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		case strings.HasPrefix(line, "#"):
			continue
		case line[0] == ' ' || line[0] == '\t':
			if lastKey != "description" || !inPkg {
				return nil, fmt.Errorf("line %d: unexpected continuation line", lineNo)
			}
			if cur.Long != "" {
				cur.Long += "\n"
			}
			cur.Long += strings.TrimLeft(line, " \t")
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: missing ':' in %q", lineNo, line)
		}
		inPkg = true
		lastKey = strings.ToLower(strings.TrimSpace(key))
		value = strings.TrimSpace(value)
		switch lastKey {
		case "package":
			cur.Name = value
		case "version":
			cur.Version = value
		case "depends":
			for _, dep := range strings.Split(value, ",") {
				name := strings.TrimSpace(dep)
				if i := strings.IndexAny(name, " ("); i >= 0 {
					name = name[:i]
				}
				if name != "" {
					cur.Depends = append(cur.Depends, name)
				}
			}
		case "description":
			cur.Description = value
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return pkgs, nil
}
