package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func noSleep(context.Context, time.Duration) error { return nil }

func TestDoSucceedsFirstTime(t *testing.T) {
	r := &Retrier{Policy: DefaultPolicy, Sleep: noSleep}
	calls := 0
	err := r.Do(context.Background(), func(context.Context) error {
		calls++
		return nil
	})
	if err != nil || calls != 1 {
		t.Errorf("Do = %v after %d calls, want nil after 1", err, calls)
	}
}

func TestDoStopsOnPermanent(t *testing.T) {
	errBadRequest := errors.New("400 bad request")
	r := &Retrier{Policy: DefaultPolicy, Sleep: noSleep}
	calls := 0
	err := r.Do(context.Background(), func(context.Context) error {
		calls++
		return Permanent(errBadRequest)
	})
	if err != errBadRequest || calls != 1 {
		t.Errorf("Do = %v after %d calls, want %v after 1", err, calls, errBadRequest)
	}
}

func TestDelayIsCapped(t *testing.T) {
	p := Policy{MaxAttempts: 20, BaseDelay: time.Second, Multiplier: 3, MaxDelay: time.Minute}
	if got := p.Delay(10); got != time.Minute {
		t.Errorf("Delay(10) = %v, want the 1m cap", got)
	}
	if got := p.Delay(0); got != 0 {
		t.Errorf("Delay(0) = %v, want 0", got)
	}
}

func TestDoMakesMaxAttempts(t *testing.T) {
	errDown := errors.New("503 service unavailable")
	for _, max := range []int{-1, 0, 1, 2, 3, 5} {
		var pauses []time.Duration
		r := &Retrier{
			Policy: Policy{MaxAttempts: max, BaseDelay: 100 * time.Millisecond, Multiplier: 2},
			Sleep: func(_ context.Context, d time.Duration) error {
				pauses = append(pauses, d)
				return nil
			},
		}
		calls := 0
		err := r.Do(context.Background(), func(context.Context) error {
			calls++
			return errDown
		})
		want := max
		if want < 1 {
			want = 1
		}
		if err != errDown || calls != want || len(pauses) != want-1 {
			t.Errorf("MaxAttempts %d: Do = %v after %d calls and %d pauses, want %v after %d calls and %d pauses",
				max, err, calls, len(pauses), errDown, want, want-1)
		}
	}
}

func TestDelaySchedule(t *testing.T) {
	p := Policy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, Multiplier: 2}
	for n, want := range []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		if got := p.Delay(n); got != want {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestPermanentNil(t *testing.T) {
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
}
