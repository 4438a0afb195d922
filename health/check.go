package health

import (
	"context"
	"fmt"
	"time"
)

// Func runs one check. It must honour ctx, which always carries the check's
// [Check.Timeout]; a Func that ignores ctx is tolerated (see the package doc)
// but is reported as stuck. Returning a non-nil error is a failure whose
// output is the error text (unless Result.Output is set); a panic is a failure
// too, logged with its stack.
type Func func(ctx context.Context) (Result, error)

// ErrorFunc adapts the common func(ctx) error shape: nil is a pass, an error
// a failure.
func ErrorFunc(f func(ctx context.Context) error) Func {
	return func(ctx context.Context) (Result, error) { return Result{}, f(ctx) }
}

// Mode says when a check runs. The zero value is [Background].
type Mode uint8

const (
	// Background runs the check on [Check.Interval] (plus up to
	// [Check.Jitter], after [Check.InitialDelay]) while the [Checker] runs.
	// Probes never wait for it. The zero Mode.
	Background Mode = iota
	// OnDemand runs the check when a probe finds its result older than
	// [Check.TTL]; the probe waits for the run, which is shared by every
	// probe arriving meanwhile (single flight).
	OnDemand
	// Stale serves the last result and, when it is older than [Check.TTL],
	// starts a refresh in the background without waiting for it. Only the
	// very first probe waits, since there is nothing to serve yet.
	Stale
)

// String returns "background", "on-demand" or "stale".
func (m Mode) String() string {
	switch m {
	case Background:
		return "background"
	case OnDemand:
		return "on-demand"
	case Stale:
		return "stale"
	default:
		return fmt.Sprintf("Mode(%d)", uint8(m))
	}
}

// The predefined groups. A check with no Groups belongs to [GroupReady].
const (
	// GroupLive is the liveness group, served at /livez. Liveness must not
	// depend on anything outside the process (databases, other services,
	// DNS): when such a dependency fails, restarting this process does not
	// help and can turn a partial outage into a total one. Put only
	// in-process checks here (a heartbeat of a worker, heap, goroutines).
	GroupLive = "live"
	// GroupReady is the readiness group, served at /readyz: whether this
	// instance should receive traffic now. External dependencies belong here.
	// [Checker.Drain] fails it for graceful shutdown.
	GroupReady = "ready"
	// GroupStartup is the startup group, served at /startupz. Once it has
	// passed, it keeps passing (it latches), as Kubernetes stops probing it.
	GroupStartup = "startup"
)

// Check describes one check. Only Name and Func are required; every zero
// field has the default written next to it, so the zero Check is invalid
// only for lacking those two. A Check is plain data, copied by [New]:
// changing it afterwards has no effect, and only its Func is ever called
// concurrently (with other checks, never with itself).
type Check struct {
	// Name identifies the check in output, paths and events: 1 to 64 of
	// [A-Za-z0-9._-], unique in a Checker. Required.
	Name string
	// Func runs the check. Required.
	Func Func
	// Groups lists the groups the check belongs to. Default [GroupReady].
	Groups []string
	// Optional reports whether the check is non-critical: its failure
	// downgrades its groups to warn instead of failing them, and its
	// "not run yet" does not hold them back. Default false (critical).
	Optional bool
	// Timeout bounds every run through the context. Default 5s.
	Timeout time.Duration
	// Mode says when the check runs. Default [Background].
	Mode Mode
	// Interval is the time between runs in Background mode. Default 10s.
	Interval time.Duration
	// Jitter adds a random delay in [0, Jitter) to every interval, so that
	// replicas do not hit a shared dependency in step. Default 0.
	Jitter time.Duration
	// InitialDelay is the wait before the first Background run. Default 0.
	InitialDelay time.Duration
	// TTL is how long a result stays fresh in OnDemand and Stale modes.
	// Default 1s.
	TTL time.Duration
	// FailureThreshold is the number of consecutive failed runs before the
	// check reports fail; until then it keeps its previous status. Default
	// 1, or disabled (0) when FailureDuration is set.
	FailureThreshold int
	// FailureDuration, when positive, also fails the check once it has been
	// failing for this long, whatever the count. Default 0 (off).
	FailureDuration time.Duration
	// SuccessThreshold is the number of consecutive passing (or warning)
	// runs a failed check needs to recover. Default 1.
	SuccessThreshold int
}

const (
	defaultTimeout  = 5 * time.Second
	defaultInterval = 10 * time.Second
	defaultTTL      = time.Second
	maxNameLen      = 64
)

// validName reports whether s is 1 to 64 of [A-Za-z0-9._-].
func validName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '.', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

// normalize validates ck and fills in its defaults.
func (ck Check) normalize() (Check, error) {
	if !validName(ck.Name) {
		return ck, fmt.Errorf("health: check name must be 1 to %d of [A-Za-z0-9._-]", maxNameLen)
	}
	if ck.Func == nil {
		return ck, fmt.Errorf("health: check %q has no Func", ck.Name)
	}
	if ck.Mode > Stale {
		return ck, fmt.Errorf("health: check %q has an unknown mode", ck.Name)
	}
	if ck.Timeout < 0 || ck.Interval < 0 || ck.Jitter < 0 || ck.InitialDelay < 0 || ck.TTL < 0 ||
		ck.FailureThreshold < 0 || ck.FailureDuration < 0 || ck.SuccessThreshold < 0 {
		return ck, fmt.Errorf("health: check %q has a negative setting", ck.Name)
	}
	if ck.Timeout == 0 {
		ck.Timeout = defaultTimeout
	}
	if ck.Interval == 0 {
		ck.Interval = defaultInterval
	}
	if ck.TTL == 0 {
		ck.TTL = defaultTTL
	}
	if ck.FailureThreshold == 0 && ck.FailureDuration == 0 {
		ck.FailureThreshold = 1
	}
	if ck.SuccessThreshold == 0 {
		ck.SuccessThreshold = 1
	}
	if len(ck.Groups) == 0 {
		ck.Groups = []string{GroupReady}
	} else {
		ck.Groups = append([]string(nil), ck.Groups...)
	}
	for _, g := range ck.Groups {
		if !validName(g) {
			return ck, fmt.Errorf("health: check %q names an invalid group", ck.Name)
		}
	}
	return ck, nil
}
