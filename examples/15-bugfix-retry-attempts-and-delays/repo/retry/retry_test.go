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

func TestPermanentNil(t *testing.T) {
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
}
