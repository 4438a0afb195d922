// Package durable holds the file-durability steps the ledger and the
// registry share. [Replace] replaces a small file so that a crash leaves
// either the old or the new content, never a mix (the registry's snapshot,
// the ledger's anchor and segment summaries); [SyncDir] makes a rename
// durable; [DataSync] flushes an appended file with fdatasync(2) where
// Linux has it, so a record append costs one flush and no timestamp write.
//
// On Unix [Replace] is github.com/google/renameio/v2 (temporary file in the
// same directory, fsync, rename) and [SyncDir] fsyncs the directory so the
// rename itself is durable. renameio does not support Windows, so there
// Replace writes, flushes and renames a temporary file itself, and SyncDir
// does nothing (a directory cannot be flushed there).
package durable
