// Package retry runs operations that may fail transiently, such as webhook
// deliveries, pausing with exponential backoff between attempts.
package retry

import (
	"math"
	"time"
)

// Policy describes how often and how patiently an operation is retried.
type Policy struct {
	// MaxAttempts is the total number of attempts, including the first
	// one. Values below 1 mean a single attempt.
	MaxAttempts int
	// BaseDelay is the pause before the first retry.
	BaseDelay time.Duration
	// Multiplier scales the pause after each retry. Values below 1 mean 1,
	// that is, a constant pause of BaseDelay.
	Multiplier float64
	// MaxDelay caps each pause; 0 means no cap.
	MaxDelay time.Duration
}

// DefaultPolicy is used for webhook deliveries unless a receiver is
// configured otherwise: 5 attempts, pausing 500ms, 1s, 2s and 4s.
var DefaultPolicy = Policy{
	MaxAttempts: 5,
	BaseDelay:   500 * time.Millisecond,
	Multiplier:  2,
	MaxDelay:    30 * time.Second,
}

// Delay returns the pause before retry n, where retry 1 is the pause
// between the first and the second attempt: BaseDelay for retry 1,
// BaseDelay*Multiplier for retry 2, BaseDelay*Multiplier² for retry 3, and
// so on, capped at MaxDelay. It returns 0 for n < 1.
func (p Policy) Delay(n int) time.Duration {
	if n < 1 {
		return 0
	}
	m := p.Multiplier
	if m < 1 {
		m = 1
	}
	d := float64(p.BaseDelay) * math.Pow(m, float64(n-1))
	if p.MaxDelay > 0 && d > float64(p.MaxDelay) {
		return p.MaxDelay
	}
	return time.Duration(d)
}

// attempts returns the total number of attempts the policy allows.
func (p Policy) attempts() int {
	if p.MaxAttempts < 1 {
		return 1
	}
	return p.MaxAttempts
}
