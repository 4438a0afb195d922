// Package ledger is a durable, append-only, tamper-evident ledger of errors
// and audit events: every error of every run, with its time, id, type,
// severity, message, context, stack, request id and component, kept so
// that a security auditor can trust it and an operator can query it.
//
// # The model
//
// An [Entry] is recorded with [Ledger.Record], which returns its [ID] (a
// sortable, ULID-like id that callers may also assign in advance with
// [NewID], e.g. to show it to a remote caller). Before anything is hashed
// or written, Record
//
//   - fills an empty ID and Time, and RequestID and RunID from the context
//     ([WithRequestID], [WithRunID]: the one place where these ids travel);
//   - redacts secrets: attribute keys on a deny list (password, secret,
//     token, authorization, cookie, api_key, ... plus Options.DenyKeys) and
//     values shaped like bearer tokens, JWTs or PEM private keys, wherever
//     they appear; slog.LogValuer values are resolved first; the count is
//     kept in Entry.Redactions;
//   - computes a fingerprint when the entry has none ([DefaultFingerprint]:
//     the type, the message without numbers, ids, hex and quoted values, and
//     the top stack frames without line numbers), so that [Ledger.Groups]
//     can group occurrences. Every occurrence is still stored.
//
// Each record is a canonical JSON object that starts with its sequence
// number and the SHA-256 hash of the previous record: a hash chain.
// [Ledger.Verify] walks it and reports the first bad record; with an
// ed25519 key (Options.SigningKey) the file store also writes signed
// checkpoints (sequence, head hash, time) on every segment rotation and on
// Close, which Verify checks, so that truncating the ledger is detected too.
//
// # Storage
//
// A [Store] keeps the records. [Open] uses the [FileStore]: a directory of
// segment files holding length-prefixed frames, each with a CRC-32C and a
// JSON payload followed by a newline (grep and jq work on them). An
// exclusive flock(2) on the directory's LOCK file keeps a second process
// out (on systems without flock there is no lock). The lock belongs to the
// open LOCK file: a child process started at the very moment a ledger is
// closed holds a copy of that descriptor until it execs, so a reopen in
// that instant can fail with [ErrLocked]; retry it. Segments rotate at
// Options.SegmentSize; retention (Options.MaxAge, MaxTotalSize) deletes the
// oldest sealed segments after writing an ANCHOR (the chain position before
// the first retained record), so verification still works. Each sealed
// segment has a summary (time range, severities, types, components, run
// ids present) that lets a selective query skip it unread, and that lets
// Open read only the active segment: open time does not grow with the
// ledger. On open a torn tail (the unsynced end of the last write batch) is
// cut off and kept in a sidecar file; damage followed by a later batch is a
// [*CorruptError] naming the segment, offset and record, never treated as
// the end of the log. In the syncing modes (GroupCommit, SyncEach) the
// active segment is zero-filled ahead of the writes, one MiB at a time and
// alongside an fsync, so that fdatasync need not touch the file system
// journal; sealed segments are cut to size.
//
// [NewMemoryStore] keeps records in memory (tests, or processes that need
// no history). Any other Store (a shared SQL database, later) plugs in with
// [New] and must pass the conformance kit in package ledgertest.
//
// # Durability
//
// Options.Durability chooses when Record's data reaches the disk:
//
//	GroupCommit (default)  concurrent Records share one write and one fsync;
//	                       each returns once its record is durable
//	SyncEach               one write and one fsync per record
//	SyncInterval           buffered (64 KiB), written and synced every
//	                       Options.SyncInterval (on Record, or by Run) and on Close
//	NoSync                 buffered (64 KiB), synced on Sync and Close
//
// In GroupCommit mode the caller that finds no write in progress becomes
// the writer of the batch: it waits until every other Record call in
// progress has queued its record (at most 1 ms, for a call stuck in, say, a
// slow slog.LogValuer), then writes the whole batch with one write call
// and one fdatasync, wakes its callers and hands the writer role to a
// caller of the next batch. Batches are thus as large as the number of
// concurrent writers: an fsync costs far more than a record (on a small
// virtual machine a 40 KiB fdatasync takes 0.3 to 0.9 ms and burns a core
// for part of it), so full batches give the most records per second.
// A lone caller never waits. The rate is then about writers / (fsync time
// + the time the writers take to prepare their next records); with fast
// fsyncs it is CPU-bound. [Ledger.Stats] reports the records per commit
// and the commit times, to tell which bound a deployment is at.
//
// "When Record returns nil, the record survives a crash" holds for
// GroupCommit and SyncEach. With SyncInterval and NoSync a crash loses the
// records not yet written or synced. Queries always see every record
// recorded before them (the buffer is written first). If the
// store fails a write, the Ledger stops (its chain ran ahead of the store):
// Record returns errors wrapping [ErrStopped] until it is reopened.
//
// # Cost of a record
//
// Record does its CPU work in the calling goroutine, outside the ledger's
// lock: redaction, fingerprint and encoding into a pooled buffer that
// keeps room in front for the chain fields. Under the lock it only writes
// the sequence number and previous hash in front of the body and computes
// the record's SHA-256. The default fingerprint is remembered for the last
// few distinct (type, message, stack) triples, so a repeated message (the
// usual case for a slog call site) costs a string comparison, not a
// normalisation and a hash. With the file store a 512-byte record costs
// no allocation when its fingerprint is remembered and two small ones
// otherwise, and about 5 to 7 µs of CPU on a shared 2-core VM; see
// BenchmarkRecord and BenchmarkRecordDistinct for rates.
//
// # Queries
//
// [Ledger.Query] streams entries matching a [Filter] (time range, minimum
// severity, type, component, request id, run id, fingerprint) as an
// iter.Seq2, reading segments one at a time. [Ledger.RunSummary] counts a
// run's entries by severity and lists its critical ones; [Ledger.Groups]
// gives first seen, last seen and count per fingerprint; [Ledger.Export]
// writes JSON lines named after the OpenTelemetry log data model.
//
// # Severity
//
// Five severities, INFO < LOW < MEDIUM < HIGH < CRITICAL, map one way to
// slog levels and OpenTelemetry severity numbers (the table is on
// [Severity]). A [Handler] makes a slog.Logger record into the ledger at or
// above a level (default slog.LevelError, i.e. MEDIUM and up).
//
// # Zero values, concurrency, defaults
//
// Options' zero value means the defaults: group commit, 16 MiB segments, no
// retention, no signing, 1 MiB maximum entry, the default fingerprint,
// silent logging. Ledger, FileStore, MemoryStore and Handler must be
// created by their constructors and are safe for concurrent use. No
// constructor starts a goroutine; [Ledger.Run] is the optional background
// sync loop for SyncInterval mode, and Close waits for it.
package ledger
