//! The core's [`Progress`] shown with indicatif: files, bytes and rate on
//! stderr, only when stderr is a terminal (and not with `-q`). Nothing is
//! ever drawn on stdout, and nothing at all when stderr is a file or pipe,
//! so scripts and logs see only the documented status lines.
//!
//! Bars are cleared when their phase ends, so a terminal is left with the
//! same lines a log gets. No colour is used, so `NO_COLOR` holds trivially.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::progress::Progress;

/// Progress on the terminal, or nothing.
pub struct TermProgress {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
    bytes: Arc<AtomicU64>,
}

impl TermProgress {
    /// Shows progress when stderr is a terminal and `quiet` is off.
    pub fn new(quiet: bool) -> TermProgress {
        TermProgress {
            enabled: !quiet && std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
            bytes: Arc::new(AtomicU64::new(0)),
        }
    }

    fn style(&self, phase: &str, total_known: bool) -> ProgressStyle {
        // "Hashing: 12/300 files", but "Verifying objects: 12/300".
        let unit = if phase.ends_with("objects") {
            ""
        } else {
            " files"
        };
        let count = if total_known { "{pos}/{len}" } else { "{pos}" };
        let template = format!("{{spinner}} {{msg}}: {count}{unit}, {{bytes_done}} ({{rate}})");
        let done = Arc::clone(&self.bytes);
        let rated = Arc::clone(&self.bytes);
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .tick_chars("|/-\\ ")
            .with_key(
                "bytes_done",
                move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}", HumanBytes(done.load(Ordering::Relaxed)));
                },
            )
            .with_key(
                "rate",
                move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let secs = state.elapsed().as_secs_f64();
                    let bytes = rated.load(Ordering::Relaxed) as f64;
                    let rate = if secs > 0.0 { bytes / secs } else { 0.0 };
                    let _ = write!(w, "{}/s", HumanBytes(rate as u64));
                },
            )
    }

    fn clear(&self) {
        if let Ok(mut bar) = self.bar.lock()
            && let Some(bar) = bar.take()
        {
            bar.finish_and_clear();
        }
    }
}

impl Progress for TermProgress {
    fn start(&self, phase: &str, total_files: Option<u64>) {
        if !self.enabled {
            return;
        }
        self.clear();
        self.bytes.store(0, Ordering::Relaxed);
        let bar = ProgressBar::with_draw_target(total_files, ProgressDrawTarget::stderr_with_hz(8))
            .with_style(self.style(phase, total_files.is_some()))
            .with_message(phase.to_string());
        // Draw now: a phase that ends before the first tick still shows.
        bar.tick();
        bar.enable_steady_tick(Duration::from_millis(250));
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn add(&self, files: u64, bytes: u64) {
        if !self.enabled {
            return;
        }
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        if let Ok(bar) = self.bar.lock()
            && let Some(bar) = bar.as_ref()
        {
            bar.inc(files);
        }
    }

    fn finish(&self) {
        self.clear();
    }
}

impl Drop for TermProgress {
    /// A command that fails mid-phase leaves no half-drawn bar behind.
    fn drop(&mut self) {
        self.clear();
    }
}
