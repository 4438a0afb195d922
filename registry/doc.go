// Package registry is a model version registry: immutable versions with
// content digests, aliases with a full history and compare-and-set moves,
// gated activation, instant rollback, and reload without restart.
//
// It replaces "load whatever is in the directory at start-up" with a
// catalogue that can say which bytes are serving, who put them there and
// why, and that refuses to serve bytes that are not the ones registered.
//
// # Model
//
// A [Model] has [Version]s. Each version names an artifact (a file or a
// directory) inside the registry's root and records its "sha256:" digest,
// computed at [Registry.Register]: a file's content digest, or for a
// directory the digest of its canonical [Manifest] (relative paths, sizes and
// file digests, sorted). A registered (model, version) is immutable.
// Artifacts are opened only through an [os.Root], so neither ".." nor a
// symbolic link can reach outside the root, and a directory artifact
// containing a symbolic link or special file is refused.
//
// Versions are ordered by [CompareVersions]: semantic-version precedence
// (pre-releases below releases, build metadata ignored, an optional "v"
// prefix accepted); strings that are not semver sort below all semver
// versions, in natural order among themselves; equal precedence falls back to
// bytewise order so that every sort is deterministic.
//
// Aliases are named pointers to versions ("production", "canary"). Every move
// is appended to the model's History (who, when, from, to, why). Each model
// has a Generation that grows with every change; [Registry.SetAlias] is a
// compare-and-set on it, so a writer holding a stale generation gets
// [ErrConflict] instead of silently overwriting a move it never saw. The
// alias [ActiveAlias] is reserved for the active version.
//
// # Activation, reload and rollback
//
// [Registry.Activate] runs a gated load beside the version that is serving:
// verify the artifact against its digest, load it through the host's
// [Loader], run the host's health check with a timeout, record the result,
// move the active alias, and only then swap it in. On any failure the previous
// version keeps serving; the failure is stored in the version's LastCheck
// and published as an event. [Registry.LatestHealthy] returns the highest
// version whose last check passed.
//
// Readers call [Registry.Resolve], which loads an atomic pointer to a
// reference-counted [Handle] (no lock, no allocation) and must Release it.
// A version that is swapped out is closed after its last reader releases it.
// The previously active version stays loaded ("warm", Settings.Warm), so
// [Registry.Rollback] to it is a store write plus a pointer swap; rollback to
// a version that is not warm is gated exactly like activation.
//
// The Loader is generic over the model type M, which only needs a Close
// method (io.Closer): Handle[M].Model returns M with no type assertion. A
// registry serving models of different types uses an interface for M.
// The digest is verified immediately before Load, which opens the artifact
// again: artifacts must not be rewritten in place (register a new version
// instead).
//
// # Persistence
//
// Every record lives in a [Store]: [MemoryStore], or [FileStore], which
// appends each change to a checksummed journal with one fdatasync, folds the
// journal into a JSON snapshot (temporary file, fsync, rename, directory
// fsync) every 1024 records or 4 MiB and on Close, and reopens to exactly the
// state it acknowledged: a torn last journal record is dropped, damage
// before a valid record is an error naming its offset. Writes are
// compare-and-set on the generation, so a Store shared by several processes
// (a SQL table, later) detects concurrent writers; package registrytest is
// the conformance kit any Store must pass. An activation writes twice (the
// check result, then the alias move) and swaps only after the second write
// succeeded, so a crash between any two steps reopens to a state in which
// the active alias names a version whose last check passed (until a later
// restore of it fails, which is recorded too). [New] loads no model; after a
// restart call [Registry.LoadActive] to bring the persisted active versions
// back, gated.
//
// # Costs
//
// Resolve is a map lookup, an atomic load, an atomic add on one cell of the
// handle's reference count and a load of its state, plus the same in
// Release: no lock, no allocation. The count is spread over cache-line
// cells picked by a hash of the reader goroutine's stack address, so
// readers on different cores rarely touch the same line and Resolve scales
// under parallel load. When the registry drops a handle (it is no longer
// current or warm), the handle is retired; a closer then marks it closing
// and sums the cells, and a reader whose add raced with that backs out and
// resolves again. A model's Close runs in the goroutine that drops the last
// reference (a reader's Release, or an activation). Every change to a model
// copies its record, whose alias history grows by one entry per move, and
// writes it through the Store; with FileStore that is one journal record of
// what changed and one fdatasync, so a warm rollback costs one store write
// (tens of microseconds in memory, one fdatasync, about half a millisecond,
// on disk) plus the pointer swap (BenchmarkRollbackWarm/memory and /file).
// Every 1024th FileStore write also compacts, a whole-snapshot write of a
// few milliseconds. Reads of records (Model, Search) wait for an in-progress
// write of the same model.
//
// # Events and the ledger
//
// Lifecycle events (registered, alias moved, verified, checked, activated,
// rolled back, failed) are delivered to every [Subscription] created by
// [Registry.Subscribe]. Delivery never blocks the registry: each subscription
// has a buffered channel, an event that does not fit is dropped and counted
// (Subscription.Dropped), so events arrive at most once and in order. This
// package does not import the ledger; a host forwards events to it:
//
//	sub := reg.Subscribe(256)
//	go func() {
//		for ev := range sub.C() {
//			led.Record(ctx, ...) // one ledger record per event
//		}
//	}()
//
// # Search
//
// [Registry.Search] selects versions by name prefix, tags, alias, [State],
// a semantic-version [Constraint] and a registration time range, ordered by
// model name and then from the highest version down.
//
// # Zero values and concurrency
//
// A Registry is created by [New] from [Settings], whose zero fields take
// documented defaults (memory store, 10 s check timeout, one warm version,
// silent logging). All methods of Registry, Handle, Subscription and the
// stores are safe for concurrent use. The registry starts a goroutine only to
// run a health check, and Close waits for any check abandoned at its timeout.
package registry
