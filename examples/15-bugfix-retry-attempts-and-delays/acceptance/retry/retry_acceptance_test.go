package retry_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"example.com/hookd/retry"
)

const ms = time.Millisecond

var errDown = errors.New("503 service unavailable")

// recorder is a Retrier whose pauses are recorded instead of slept.
type recorder struct {
	pauses  []time.Duration
	retries []string
	calls   int
}

func (rec *recorder) retrier(p retry.Policy) *retry.Retrier {
	return &retry.Retrier{
		Policy: p,
		Sleep: func(_ context.Context, d time.Duration) error {
			rec.pauses = append(rec.pauses, d)
			return nil
		},
		OnRetry: func(attempt int, err error, delay time.Duration) {
			rec.retries = append(rec.retries, fmt.Sprintf("%d|%v|%v", attempt, err, delay))
		},
	}
}

// failing returns an operation that fails with errDown, wrapped with the
// attempt number, for its first n calls and then succeeds.
func (rec *recorder) failing(n int) func(context.Context) error {
	return func(context.Context) error {
		rec.calls++
		if rec.calls <= n {
			return fmt.Errorf("attempt %d: %w", rec.calls, errDown)
		}
		return nil
	}
}

func TestAcceptanceAttemptsWhenAlwaysFailing(t *testing.T) {
	tests := []struct {
		maxAttempts int
		wantCalls   int
	}{
		{-1, 1}, {0, 1}, {1, 1}, {2, 2}, {3, 3}, {5, 5}, {8, 8},
	}
	for _, tt := range tests {
		rec := &recorder{}
		r := rec.retrier(retry.Policy{MaxAttempts: tt.maxAttempts, BaseDelay: 10 * ms, Multiplier: 2})
		err := r.Do(context.Background(), rec.failing(1000))
		if rec.calls != tt.wantCalls {
			t.Errorf("MaxAttempts %d: fn called %d times, want %d", tt.maxAttempts, rec.calls, tt.wantCalls)
		}
		if !errors.Is(err, errDown) {
			t.Errorf("MaxAttempts %d: Do returned %v, want the operation's error", tt.maxAttempts, err)
			continue
		}
		if want := fmt.Sprintf("attempt %d: ", tt.wantCalls); !strings.HasPrefix(err.Error(), want) {
			t.Errorf("MaxAttempts %d: Do returned %q, want the error of the last attempt (%q...)", tt.maxAttempts, err, want)
		}
		if len(rec.pauses) != tt.wantCalls-1 {
			t.Errorf("MaxAttempts %d: paused %d times (%v), want %d (no pause after the last attempt)",
				tt.maxAttempts, len(rec.pauses), rec.pauses, tt.wantCalls-1)
		}
	}
}

func TestAcceptanceReportedPolicy(t *testing.T) {
	rec := &recorder{}
	r := rec.retrier(retry.Policy{MaxAttempts: 3, BaseDelay: 100 * ms, Multiplier: 2, MaxDelay: 5 * time.Second})
	err := r.Do(context.Background(), rec.failing(1000))
	if !errors.Is(err, errDown) || rec.calls != 3 {
		t.Errorf("Do = %v after %d calls, want errDown after 3", err, rec.calls)
	}
	if want := []time.Duration{100 * ms, 200 * ms}; !reflect.DeepEqual(rec.pauses, want) {
		t.Errorf("pauses = %v, want %v", rec.pauses, want)
	}
	want := []string{
		"1|attempt 1: 503 service unavailable|100ms",
		"2|attempt 2: 503 service unavailable|200ms",
	}
	if !reflect.DeepEqual(rec.retries, want) {
		t.Errorf("OnRetry calls = %q, want %q", rec.retries, want)
	}
}

func TestAcceptanceSingleAttemptPolicy(t *testing.T) {
	for _, max := range []int{0, 1} {
		rec := &recorder{}
		r := rec.retrier(retry.Policy{MaxAttempts: max, BaseDelay: 100 * ms, Multiplier: 2})
		err := r.Do(context.Background(), rec.failing(1))
		if rec.calls != 1 || !errors.Is(err, errDown) {
			t.Errorf("MaxAttempts %d, failing op: Do = %v after %d calls, want errDown after 1", max, err, rec.calls)
		}
		if len(rec.pauses) != 0 || len(rec.retries) != 0 {
			t.Errorf("MaxAttempts %d: pauses %v, OnRetry %q; want none", max, rec.pauses, rec.retries)
		}

		rec = &recorder{}
		r = rec.retrier(retry.Policy{MaxAttempts: max})
		if err := r.Do(context.Background(), rec.failing(0)); err != nil || rec.calls != 1 {
			t.Errorf("MaxAttempts %d, working op: Do = %v after %d calls, want nil after 1", max, err, rec.calls)
		}
	}
}

func TestAcceptanceSucceedsOnLastAttempt(t *testing.T) {
	rec := &recorder{}
	r := rec.retrier(retry.Policy{MaxAttempts: 4, BaseDelay: 50 * ms, Multiplier: 3})
	if err := r.Do(context.Background(), rec.failing(3)); err != nil {
		t.Errorf("Do = %v, want nil (the 4th attempt succeeds)", err)
	}
	if rec.calls != 4 {
		t.Errorf("fn called %d times, want 4", rec.calls)
	}
	if want := []time.Duration{50 * ms, 150 * ms, 450 * ms}; !reflect.DeepEqual(rec.pauses, want) {
		t.Errorf("pauses = %v, want %v", rec.pauses, want)
	}
}

func TestAcceptanceDefaultPolicySchedule(t *testing.T) {
	rec := &recorder{}
	r := rec.retrier(retry.DefaultPolicy)
	_ = r.Do(context.Background(), rec.failing(1000))
	want := []time.Duration{500 * ms, time.Second, 2 * time.Second, 4 * time.Second}
	if rec.calls != 5 || !reflect.DeepEqual(rec.pauses, want) {
		t.Errorf("DefaultPolicy: %d calls with pauses %v, want 5 calls with pauses %v", rec.calls, rec.pauses, want)
	}
}

func TestAcceptanceDelay(t *testing.T) {
	tests := []struct {
		p    retry.Policy
		n    int
		want time.Duration
	}{
		{retry.Policy{BaseDelay: 100 * ms, Multiplier: 2}, -1, 0},
		{retry.Policy{BaseDelay: 100 * ms, Multiplier: 2}, 0, 0},
		{retry.Policy{BaseDelay: 100 * ms, Multiplier: 2}, 1, 100 * ms},
		{retry.Policy{BaseDelay: 100 * ms, Multiplier: 2}, 2, 200 * ms},
		{retry.Policy{BaseDelay: 100 * ms, Multiplier: 2}, 3, 400 * ms},
		{retry.Policy{BaseDelay: 100 * ms, Multiplier: 2}, 4, 800 * ms},
		{retry.Policy{BaseDelay: time.Millisecond, Multiplier: 2}, 11, 1024 * ms},
		{retry.Policy{BaseDelay: time.Second, Multiplier: 1.5}, 1, time.Second},
		{retry.Policy{BaseDelay: time.Second, Multiplier: 1.5}, 3, 2250 * ms},
		{retry.Policy{BaseDelay: 300 * ms, Multiplier: 1}, 5, 300 * ms},
		{retry.Policy{BaseDelay: 300 * ms, Multiplier: 0}, 5, 300 * ms},
		{retry.Policy{BaseDelay: 300 * ms, Multiplier: 0.5}, 1, 300 * ms},
		{retry.Policy{BaseDelay: 300 * ms, Multiplier: 0.5}, 4, 300 * ms},
		{retry.Policy{BaseDelay: 300 * ms, Multiplier: 2, MaxDelay: time.Second}, 2, 600 * ms},
		{retry.Policy{BaseDelay: 300 * ms, Multiplier: 2, MaxDelay: time.Second}, 3, time.Second},
		{retry.Policy{BaseDelay: 300 * ms, Multiplier: 2, MaxDelay: time.Second}, 40, time.Second},
		{retry.Policy{BaseDelay: 2 * time.Second, Multiplier: 2, MaxDelay: time.Second}, 1, time.Second},
		{retry.DefaultPolicy, 1, 500 * ms},
		{retry.DefaultPolicy, 4, 4 * time.Second},
		{retry.DefaultPolicy, 100, 30 * time.Second},
	}
	for _, tt := range tests {
		if got := tt.p.Delay(tt.n); got != tt.want {
			t.Errorf("%+v.Delay(%d) = %v, want %v", tt.p, tt.n, got, tt.want)
		}
	}
}

func TestAcceptancePauseCapped(t *testing.T) {
	rec := &recorder{}
	r := rec.retrier(retry.Policy{MaxAttempts: 6, BaseDelay: 300 * ms, Multiplier: 2, MaxDelay: time.Second})
	_ = r.Do(context.Background(), rec.failing(1000))
	want := []time.Duration{300 * ms, 600 * ms, time.Second, time.Second, time.Second}
	if !reflect.DeepEqual(rec.pauses, want) {
		t.Errorf("pauses = %v, want %v", rec.pauses, want)
	}
}

func TestAcceptancePermanentStillStops(t *testing.T) {
	errGone := errors.New("410 gone")
	rec := &recorder{}
	r := rec.retrier(retry.Policy{MaxAttempts: 5, BaseDelay: 10 * ms, Multiplier: 2})
	err := r.Do(context.Background(), func(context.Context) error {
		rec.calls++
		if rec.calls == 2 {
			return retry.Permanent(errGone)
		}
		return errDown
	})
	if err != errGone {
		t.Errorf("Do = %v, want the unwrapped permanent error %v", err, errGone)
	}
	if rec.calls != 2 || len(rec.pauses) != 1 {
		t.Errorf("%d calls, %d pauses; want 2 calls, 1 pause", rec.calls, len(rec.pauses))
	}
}

func TestAcceptanceCancelledDuringPause(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	r := &retry.Retrier{
		Policy: retry.Policy{MaxAttempts: 5, BaseDelay: 10 * ms, Multiplier: 2},
		Sleep: func(ctx context.Context, d time.Duration) error {
			cancel()
			return ctx.Err()
		},
	}
	err := r.Do(ctx, func(context.Context) error {
		calls++
		return errDown
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Do = %v, want an error wrapping context.Canceled", err)
	}
	if calls != 1 {
		t.Errorf("fn called %d times after cancellation, want 1", calls)
	}
}

func TestAcceptanceRealTimer(t *testing.T) {
	// Without a Sleep hook the Retrier really waits, and still honours ctx.
	calls := 0
	r := &retry.Retrier{Policy: retry.Policy{MaxAttempts: 3, BaseDelay: time.Millisecond, Multiplier: 2}}
	err := r.Do(context.Background(), func(context.Context) error {
		calls++
		return errDown
	})
	if !errors.Is(err, errDown) || calls != 3 {
		t.Errorf("Do = %v after %d calls, want errDown after 3", err, calls)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*ms)
	defer cancel()
	r = &retry.Retrier{Policy: retry.Policy{MaxAttempts: 3, BaseDelay: time.Hour}}
	start := time.Now()
	err = r.Do(ctx, func(context.Context) error { return errDown })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Do = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("Do did not stop when ctx expired")
	}
}
