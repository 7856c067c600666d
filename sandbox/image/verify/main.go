// coop-verify is the entrypoint of the coop verification image.
//
// The image is FROM scratch (no shell), so this small static program runs the
// Go toolchain steps itself, each with its own timeout, and reports them as
// JSON: one line per step as soon as the step finishes, then a final "done"
// line. Streaming per step (instead of one document at the end) means the
// host still learns which steps finished when it has to kill the container on
// its wall-clock limit.
//
// With -fix it instead applies mechanical fixes (imports, gofmt) to the
// files it is given; see fix.go.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Line is one JSON line on stdout.
type Line struct {
	Kind string `json:"kind"` // "start", "step", "check" or "done"

	// kind == "start"
	GoVersion   string `json:"go_version,omitempty"`
	CacheSeedMs int64  `json:"cache_seed_ms,omitempty"`
	CacheSeeded bool   `json:"cache_seeded,omitempty"`

	// kind == "step" (Step) or "check" (Check: a project check's name;
	// the fields below alike)
	Step            string `json:"step,omitempty"`
	Check           string `json:"check,omitempty"`
	ExitCode        *int   `json:"exit_code,omitempty"`
	DurationMs      int64  `json:"duration_ms"`
	Stdout          string `json:"stdout,omitempty"`
	Stderr          string `json:"stderr,omitempty"`
	StdoutTruncated bool   `json:"stdout_truncated,omitempty"`
	StderrTruncated bool   `json:"stderr_truncated,omitempty"`
	TimedOut        bool   `json:"timed_out,omitempty"`
	Skipped         bool   `json:"skipped,omitempty"`
	Error           string `json:"error,omitempty"`
}

// capBuffer keeps the first max bytes written and silently discards the
// rest, so a chatty test cannot exhaust memory, while still draining the pipe
// so the child never blocks on a full pipe.
type capBuffer struct {
	buf       bytes.Buffer
	max       int
	truncated bool
}

func (c *capBuffer) Write(p []byte) (int, error) {
	room := c.max - c.buf.Len()
	if room <= 0 {
		if len(p) > 0 {
			c.truncated = true
		}
		return len(p), nil
	}
	if len(p) > room {
		c.buf.Write(p[:room])
		c.truncated = true
		return len(p), nil
	}
	c.buf.Write(p)
	return len(p), nil
}

var enc = json.NewEncoder(os.Stdout)

func emit(l Line) {
	// Encode errors mean stdout is gone; nothing useful is left to do.
	_ = enc.Encode(l)
}

func run(stepName string, timeout time.Duration, capBytes int, dir string, name string, args ...string) Line {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	// go test runs test binaries as grandchildren; a process group lets the
	// timeout kill the whole tree instead of leaving a spinning test behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	// Bound the wait for pipes held open by orphaned grandchildren.
	cmd.WaitDelay = 2 * time.Second
	stdout := &capBuffer{max: capBytes}
	stderr := &capBuffer{max: capBytes}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	start := time.Now()
	err := cmd.Run()
	l := Line{Kind: "step", Step: stepName, DurationMs: time.Since(start).Milliseconds()}
	if ctx.Err() == context.DeadlineExceeded {
		l.TimedOut = true
	}
	if cmd.ProcessState != nil {
		code := cmd.ProcessState.ExitCode()
		l.ExitCode = &code
	} else if err != nil {
		l.Error = err.Error()
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) && l.Error == "" && !l.TimedOut {
		l.Error = err.Error()
	}
	l.Stdout, l.StdoutTruncated = stdout.buf.String(), stdout.truncated
	l.Stderr, l.StderrTruncated = stderr.buf.String(), stderr.truncated
	return l
}

// goFiles lists the .go files the go command itself would consider: it skips
// vendor, testdata and directories starting with "." or "_", since testdata
// often holds deliberately malformed Go.
func goFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "vendor" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") && d.Type().IsRegular() {
			rel, rerr := filepath.Rel(root, path)
			if rerr != nil {
				return rerr
			}
			files = append(files, rel)
		}
		return nil
	})
	return files, err
}

func gofmtStep(timeout time.Duration, capBytes int, dir string) Line {
	start := time.Now()
	files, err := goFiles(dir)
	if err != nil {
		return Line{Kind: "step", Step: "gofmt", Error: "listing go files: " + err.Error(), DurationMs: time.Since(start).Milliseconds()}
	}
	if len(files) == 0 {
		zero := 0
		return Line{Kind: "step", Step: "gofmt", ExitCode: &zero, DurationMs: time.Since(start).Milliseconds()}
	}
	l := run("gofmt", timeout, capBytes, dir, "gofmt", append([]string{"-l"}, files...)...)
	l.DurationMs = time.Since(start).Milliseconds()
	return l
}

// seedCache copies the build cache baked into the image onto the writable
// tmpfs: the image's rootfs is read-only, the go command needs a writable
// cache, and a warm cache saves compiling fmt/testing/... on every run.
func seedCache(seed, dst string) (bool, error) {
	if _, err := os.Stat(seed); err != nil {
		return false, nil
	}
	err := filepath.WalkDir(seed, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(seed, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	return err == nil, err
}

func main() {
	dir := flag.String("dir", "/work", "module directory to verify")
	stepTimeout := flag.Duration("step-timeout", 5*time.Minute, "timeout of each step")
	testTimeout := flag.Duration("test-timeout", 0, "go test -timeout (0: 3/4 of step-timeout)")
	capBytes := flag.Int("cap", 256*1024, "max bytes kept per stream per step")
	seed := flag.String("cache-seed", "/opt/coop/gocache-seed", "build cache copied into GOCACHE at start")
	testCap := flag.Int("test-cap", 8<<20, "max bytes kept of go test -json stdout (the event stream is verbose)")
	strict := flag.Bool("strict", false, "say on stderr that a step failed (the exit status is 1 then either way; used by the image build's warm-up)")
	fix := flag.Bool("fix", false, "fix the listed files (relative to -dir) instead of verifying: remove unused imports, add missing std imports, gofmt; see fix.go")
	goroot := flag.String("goroot", defaultGoroot(), "GOROOT whose src/ is the standard library (-fix)")
	var pkgs patterns
	flag.Var(&pkgs, "pkg", "package pattern for vet, build and test, relative to -dir (repeatable; default ./...)")
	tags := flag.String("tags", "", "build tags for vet, build and test (comma-separated)")
	checksJSON := flag.String("checks", "", `project checks run after the tests, a JSON array of {"name": ..., "argv": [...], "timeout_ms": N}; each runs from -dir without a shell`)
	gowork := flag.String("gowork", "", "comma-separated module directories (relative to -dir) to verify as one workspace: a go.work naming them is written to $TMPDIR and GOWORK points at it")
	flag.Parse()
	if len(pkgs) == 0 {
		pkgs = patterns{"./..."}
	}

	if *fix {
		// No build cache or "start" line: the fix runs no go command.
		os.Exit(fixMain(*dir, *goroot, flag.Args()))
	}

	// The code under test runs as this process's user. Without this, it
	// could open /proc/1/fd/1 (this process's stdout, the report channel the
	// host reads) and write report lines of its own. A process that is not
	// dumpable has its /proc entries owned by root and refuses ptrace-mode
	// access to every process without CAP_SYS_PTRACE, which the container
	// never has. Children get the flag reset by execve, so the go command
	// and test binaries run as usual. Nothing runs before this point.
	if err := protectReportChannel(); err != nil {
		fmt.Fprintf(os.Stderr, "coop-verify: cannot protect the report channel: %v\n", err)
		os.Exit(2)
	}

	seedStart := time.Now()
	seeded := false
	if gc := os.Getenv("GOCACHE"); gc != "" && *seed != "" {
		ok, err := seedCache(*seed, gc)
		if err != nil {
			fmt.Fprintf(os.Stderr, "coop-verify: seeding build cache: %v\n", err)
		}
		seeded = ok
	}
	var checks []projectCheck
	if *checksJSON != "" {
		if err := json.Unmarshal([]byte(*checksJSON), &checks); err != nil {
			fmt.Fprintf(os.Stderr, "coop-verify: -checks: %v\n", err)
			os.Exit(2)
		}
		for _, c := range checks {
			if c.Name == "" || len(c.Argv) == 0 || c.TimeoutMs <= 0 {
				fmt.Fprintf(os.Stderr, "coop-verify: -checks: %q needs a name, argv and timeout_ms\n", c.Name)
				os.Exit(2)
			}
		}
	}
	var tagArgs []string
	if *tags != "" {
		tagArgs = []string{"-tags=" + *tags}
	}
	if *gowork != "" {
		if err := writeGoWork(*dir, *gowork); err != nil {
			fmt.Fprintf(os.Stderr, "coop-verify: writing the workspace file: %v\n", err)
			os.Exit(2)
		}
	}
	emit(Line{Kind: "start", GoVersion: toolchainVersion(defaultGoroot()), CacheSeeded: seeded, CacheSeedMs: time.Since(seedStart).Milliseconds()})

	tt := *testTimeout
	if tt <= 0 {
		tt = *stepTimeout * 3 / 4
	}

	// gofmt findings never block the other steps: they say nothing about
	// whether the code compiles or its tests pass.
	failed := false
	check := func(l Line) Line {
		if l.Skipped || l.TimedOut || l.Error != "" || l.ExitCode == nil || *l.ExitCode != 0 || (l.Step == "gofmt" && strings.TrimSpace(l.Stdout) != "") {
			failed = true
		}
		return l
	}
	emit(check(gofmtStep(*stepTimeout, *capBytes, *dir)))
	goArgs := func(first ...string) []string {
		return append(append(first, tagArgs...), pkgs...)
	}
	emit(check(run("vet", *stepTimeout, *capBytes, *dir, "go", goArgs("vet")...)))
	// -o /dev/null: compile and link everything but write nothing into the
	// worktree (a single main package would otherwise leave a binary there).
	build := run("build", *stepTimeout, *capBytes, *dir, "go", goArgs("build", "-o", "/dev/null")...)
	emit(check(build))
	buildOK := build.ExitCode != nil && *build.ExitCode == 0 && !build.TimedOut
	if buildOK {
		// -timeout below the step timeout makes go test itself report the
		// hung test by name (with a goroutine dump) instead of being killed
		// silently.
		emit(check(run("test", *stepTimeout, *testCap, *dir, "go", goArgs("test", "-json", "-timeout", tt.String())...)))
	} else {
		// Tests cannot run when the code does not build; go test would only
		// repeat the build errors.
		emit(check(Line{Kind: "step", Step: "test", Skipped: true}))
	}
	// The team's own checks, in the configured order: after the tests,
	// and only on code that builds (they would repeat the compile errors).
	for _, c := range checks {
		var l Line
		if buildOK {
			l = run("", time.Duration(c.TimeoutMs)*time.Millisecond, *capBytes, *dir, c.Argv[0], c.Argv[1:]...)
		} else {
			l = Line{Skipped: true}
		}
		l.Kind, l.Step, l.Check = "check", "", c.Name
		emit(check(l))
	}
	emit(Line{Kind: "done"})
	// The exit status is a second channel the code under test cannot reach
	// (only Docker sees it): the host refuses a report whose steps all
	// passed from a verifier that did not exit 0.
	if failed {
		if *strict {
			fmt.Fprintln(os.Stderr, "coop-verify: some step failed")
		}
		os.Exit(1)
	}
}

// projectCheck is one of the team's own checks ([verify] commands).
type projectCheck struct {
	Name      string   `json:"name"`
	Argv      []string `json:"argv"`
	TimeoutMs int64    `json:"timeout_ms"`
}

// patterns collects repeated -pkg flags.
type patterns []string

func (p *patterns) String() string { return strings.Join(*p, " ") }

func (p *patterns) Set(v string) error {
	if !strings.HasPrefix(v, "./") || strings.Contains(v, "..."+"/") {
		return fmt.Errorf("%q: a pattern is ./dir/... or ./...", v)
	}
	*p = append(*p, v)
	return nil
}

// writeGoWork writes a go.work using the given module directories (absolute
// paths under dir) to $TMPDIR and points GOWORK at it, for a repository
// whose modules have no go.work of their own: go then treats them as one
// workspace from dir, and paths in its output stay relative to dir. Its go
// line is the toolchain's own version, which is at least every module's
// (the host chose the toolchain by the newest go line).
func writeGoWork(dir, modules string) error {
	version := strings.TrimPrefix(toolchainVersion(defaultGoroot()), "go")
	var b strings.Builder
	fmt.Fprintf(&b, "go %s\n\nuse (\n", version)
	for _, m := range strings.Split(modules, ",") {
		if m == "" || strings.HasPrefix(m, "/") || strings.Contains(m, "..") || strings.ContainsAny(m, "\"\n\t ") {
			return fmt.Errorf("module directory %q", m)
		}
		fmt.Fprintf(&b, "\t%s\n", filepath.Join(dir, m))
	}
	b.WriteString(")\n")
	tmp := os.Getenv("TMPDIR")
	if tmp == "" {
		tmp = os.TempDir()
	}
	path := filepath.Join(tmp, "coop-verify.go.work")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Setenv("GOWORK", path)
}

// toolchainVersion is the version of the Go the steps run (the first line of
// GOROOT/VERSION, e.g. go1.23.9). It can differ from runtime.Version(): this
// binary is compiled with the default toolchain and placed in images of
// other Go versions.
func toolchainVersion(goroot string) string {
	b, err := os.ReadFile(filepath.Join(goroot, "VERSION"))
	if err != nil {
		return runtime.Version()
	}
	first, _, _ := strings.Cut(string(b), "\n")
	if v := strings.TrimSpace(first); strings.HasPrefix(v, "go") {
		return v
	}
	return runtime.Version()
}

// protectReportChannel makes this process non-dumpable (see main).
func protectReportChannel() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 0, 0); errno != 0 {
		return errno
	}
	return nil
}
