// Package health runs health checks and serves Kubernetes-style probes
// (/livez, /readyz, /startupz) in the application/health+json format,
// answering every probe from a snapshot in well under a microsecond.
//
// # What it is for
//
// A service tells its orchestrator and its load balancer whether it is
// alive, ready for traffic and done starting. Checks that run on the
// request path behind one mutex make probes slow, pile up goroutines when a
// dependency hangs and leak internals to anyone who asks. Here checks run
// apart from the probes: a probe reads an immutable snapshot behind an
// atomic pointer and writes a body that was encoded once, when the state
// last changed.
//
// # The model
//
// A [Check] is a name, a [Func] and a policy. The Func returns a [Result]
// (pass, warn with a reason, fail) or an error (a failure). Every run gets a
// context with the check's Timeout. A check runs in one of three modes:
//
//   - [Background]: on an Interval plus a random Jitter, after an
//     InitialDelay, between [Checker.Start] and [Checker.Close].
//   - [OnDemand]: when a probe finds the result older than TTL; the probe
//     waits, and all probes arriving meanwhile share that one run.
//   - [Stale]: a probe gets the last result at once and, when it is older
//     than TTL, starts a refresh it does not wait for.
//
// Statuses are [StatusPass], [StatusWarn], [StatusFail] and
// [StatusUnknown]; a check that has not run yet is unknown (and says "not
// run yet"), never failed. A critical check's failure fails its groups; an
// Optional check's failure only makes them warn. Thresholds work both
// ways: a check fails after FailureThreshold consecutive failures (or
// after failing for FailureDuration) and recovers after SuccessThreshold
// consecutive successes; every change between failing and not failing is
// counted as a flap ([State.Flaps]).
//
// # No pile-up
//
// A check has at most one run in progress. On-demand refreshes are single
// flight, and no run starts while the previous one is still going, even
// after its timeout: a check that ignores its context therefore costs at
// most one goroutine. When the timeout expires the run is recorded as a
// failure and the check is reported as stuck since the run started
// ([State.StuckSince], and in the verbose output) until the Func returns;
// its late result is discarded. A panic in a check is a failure whose
// stack goes to [Settings.Logger]; the output says only "check panicked".
//
// # Groups
//
// Every check belongs to one or more groups (default [GroupReady]). The
// predefined groups are [GroupLive], [GroupReady] and [GroupStartup]; a
// check can name any other group, and [Settings.Groups] defines named
// groups with Include and Exclude lists. Liveness must not depend on
// external dependencies: if the database is down, restarting every replica
// does not bring it back and turns a degraded service into no service. Put
// databases, caches and other services in readiness. [Checker.Drain] fails
// readiness for a graceful shutdown. The startup group latches: once it has
// passed it keeps passing.
//
// # Probes
//
// [Checker.Mount] registers GET (and so HEAD) /livez, /readyz, /startupz,
// /health/NAME for named groups, and /{check} below each. A probe answers
// 200 for pass and warn, 503 for fail and unknown, with Cache-Control:
// no-store. The body is application/health+json ([ContentType]) unless the
// Accept header starts with text/plain. Anonymous callers get the status
// only. With ?verbose, a caller that [Settings.Authorize] accepts gets
// every check (keyed "name:measurement", with status, observedValue,
// observedUnit, time, and output when not pass); the authorizer is not
// called without ?verbose, so an ordinary probe costs nothing extra, and
// an unauthorised verbose probe gets the same cached status-only body.
// Each ?exclude=NAME leaves a check out for that request. Outputs are
// cut to [Settings.MaxOutput] bytes and to one line.
//
// The handlers share their header value slices between responses to avoid
// allocating; middleware that changes those headers must replace the
// values (Header().Set), not modify them in place.
//
// # Listeners
//
// [Settings.OnChange] hears status changes and [Settings.Observe] every run
// (for metrics). Events go through a bounded queue to one delivery
// goroutine run by [Checker.Start]: a slow listener never blocks a check;
// when the queue is full, events are dropped and counted
// ([Checker.Dropped]).
//
// # Built-in checks
//
// [SQLPing], [HTTPGet], [TCPDial], [DNSLookup], [DiskSpace], [Heap],
// [Goroutines] and [Heartbeat] reuse the application's own clients (the
// *sql.DB pool, the *http.Client, the *net.Resolver) rather than opening
// their own.
//
// # Decisions where the conventions are silent
//
//   - Unknown answers 503 on every probe, liveness included: a liveness
//     check should be a Background check without InitialDelay (it runs at
//     Start) or Optional (its "not run yet" then does not count).
//   - Below its failure threshold a failing check keeps its previous status
//     (unknown if it has none) and its output says "failing (below
//     threshold)"; a warn counts as a success for both thresholds.
//   - The late result of a run that outlived its timeout is discarded: the
//     timeout was the answer.
//   - Per-check paths answer 404 for a name that is not in the group, so
//     they reveal which check names exist, as Kubernetes does; check names
//     are not secrets, outputs are.
//   - A result without Value reports the run's duration as
//     "name:responseTime" in "ms".
//   - Plain text is chosen by an Accept header starting with text/plain;
//     kubelet and most load balancers ignore the body either way.
//   - The probe path of a fresh snapshot takes no lock, reads no clock
//     (a timer per OnDemand or Stale check marks its result stale after
//     TTL) and allocates nothing; a probe that must refresh an OnDemand check takes that
//     check's mutex briefly to join or start the single flight.
//
// # Zero values, defaults and concurrency
//
// [Settings] and [Check] are plain data whose zero fields mean the
// documented defaults (Timeout 5s, Interval 10s, TTL 1s, thresholds 1,
// MaxOutput 512, QueueSize 256); [New] validates and copies them and
// starts no goroutine. A [Checker] is safe for concurrent use; its zero
// value is not usable. [Checker.Close] stops the background work and waits
// for every goroutine, including a stuck run ([Checker.Shutdown] bounds
// that wait).
package health
