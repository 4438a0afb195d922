package health

// Status is the health of a check or of a group of checks. The zero value
// is [StatusUnknown], which is what a check reports before its first result
// counts ("not run yet"; see [State.Runs]). A Status is a plain value, safe
// to copy and share.
type Status uint8

// The statuses, in increasing order of severity. A group reports the most
// severe status among its members; [StatusUnknown] ranks between warn and fail
// so that a group whose critical member has not run yet is not ready.
const (
	// StatusUnknown means no result counts yet: the check has not run, or
	// its first failures are still below the failure threshold.
	StatusUnknown Status = iota
	// StatusPass means healthy.
	StatusPass
	// StatusWarn means healthy but degraded; probes still succeed (HTTP 200).
	StatusWarn
	// StatusFail means unhealthy; probes fail (HTTP 503).
	StatusFail
)

// String returns "unknown", "pass", "warn" or "fail", the words of the
// application/health+json format.
func (s Status) String() string {
	switch s {
	case StatusPass:
		return "pass"
	case StatusWarn:
		return "warn"
	case StatusFail:
		return "fail"
	default:
		return "unknown"
	}
}

// severity orders statuses for aggregation: pass < warn < unknown < fail.
func (s Status) severity() int {
	switch s {
	case StatusPass:
		return 0
	case StatusWarn:
		return 1
	case StatusFail:
		return 3
	default:
		return 2
	}
}

// httpCode is the probe's HTTP status for s: 200 for pass and warn, 503
// otherwise.
func (s Status) httpCode() int {
	if s == StatusPass || s == StatusWarn {
		return 200
	}
	return 503
}

// Result is what one run of a check reports. A zero Result returned with a
// nil error is a pass.
//
// Output is shown only to authorised callers, capped at
// [Settings.MaxOutput] bytes; Value and Unit become the health+json
// observedValue and observedUnit, and Measurement the part of the check's key
// after the colon ("db:connections"). When Value is nil the run's duration
// is reported instead, as measurement "responseTime" in "ms".
//
// A Result is a plain value; the Checker copies it and never modifies it,
// so a Func may return the same Result (with an immutable Value) from
// concurrent runs.
type Result struct {
	// Status is the outcome; StatusUnknown (the zero value) means pass.
	Status Status
	// Output says why the status is not pass. Ignored for a pass.
	Output string
	// Measurement names what Value measures, e.g. "utilization".
	Measurement string
	// Value is the observed value; it must marshal to JSON (a number, a
	// string, a bool).
	Value any
	// Unit is the unit of Value, e.g. "bytes", "percent", "ms".
	Unit string
}

// Pass returns a passing result.
func Pass() Result { return Result{Status: StatusPass} }

// Warn returns a warning result with the given reason.
func Warn(reason string) Result { return Result{Status: StatusWarn, Output: reason} }

// Fail returns a failing result with the given reason.
func Fail(reason string) Result { return Result{Status: StatusFail, Output: reason} }
