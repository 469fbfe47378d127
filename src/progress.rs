//! How the core reports progress without printing: long operations take a
//! `&dyn Progress`, and the command layer decides whether and how to show it.

/// Receives counts as work is done. Implementations must be cheap and
/// thread-safe: hashing and checkout call them from worker threads.
pub trait Progress: Sync {
    /// Starts a phase, with its total when known.
    fn start(&self, _phase: &str, _total_files: Option<u64>) {}
    /// `files` more files, `bytes` more bytes, done.
    fn add(&self, _files: u64, _bytes: u64) {}
    /// Ends the current phase.
    fn finish(&self) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {}
