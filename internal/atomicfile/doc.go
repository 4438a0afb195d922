// Package atomicfile replaces small files so that a crash leaves either the
// old or the new content, never a mix: the registry's snapshot and the
// ledger's anchor and segment summaries are written this way.
//
// On Unix [Replace] is github.com/google/renameio/v2 (temporary file in the
// same directory, fsync, rename) and [SyncDir] fsyncs the directory so the
// rename itself is durable. renameio does not support Windows, so there
// Replace writes, flushes and renames a temporary file itself, and SyncDir
// does nothing (a directory cannot be flushed there).
package atomicfile
