package retry

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Retrier runs operations under a Policy.
type Retrier struct {
	Policy Policy
	// Sleep pauses for d, returning early with ctx.Err() if ctx is done.
	// nil means a real timer; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, if set, is called after a failed attempt that will be
	// retried, with the number of that attempt (1-based), its error and
	// the pause that follows.
	OnRetry func(attempt int, err error, delay time.Duration)
}

// permanentError marks an error that must not be retried.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that Do stops retrying and returns err at once.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// Do calls fn until it succeeds, returns a Permanent error, or
// r.Policy.MaxAttempts attempts have failed, pausing r.Policy.Delay(n)
// after the n-th failed attempt. There is no pause after the last attempt.
// Do returns nil on success and otherwise the error of the last attempt
// (unwrapped if it was Permanent). If ctx is done during a pause, Do stops
// and returns an error that wraps ctx.Err().
func (r *Retrier) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	attempts := r.Policy.attempts()
	var err error
	for attempt := 1; attempt < attempts; attempt++ {
		err = fn(ctx)
		if err == nil {
			return nil
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			return perm.err
		}
		if attempt == attempts {
			break
		}
		delay := r.Policy.Delay(attempt)
		if r.OnRetry != nil {
			r.OnRetry(attempt, err, delay)
		}
		if serr := r.sleep(ctx, delay); serr != nil {
			return fmt.Errorf("retry: gave up after attempt %d: %w (last error: %v)", attempt, serr, err)
		}
	}
	return err
}

func (r *Retrier) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
