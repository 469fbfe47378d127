//! A terminal for tests: a program run under `script(1)`, which gives it a
//! pseudo-terminal, fed keystrokes and read back. Used to test completions
//! in real interactive shells and what rel draws on a terminal.
//!
//! Waiting is by content, never by time: `wait_for` returns as soon as the
//! text appears, and only gives up (failing with the transcript) after a
//! generous deadline.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long to wait for text that should appear; only reached on failure.
const DEADLINE: Duration = Duration::from_secs(60);

pub struct Terminal {
    child: Child,
    stdin: Option<ChildStdin>,
    output: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Terminal {
    /// Runs `command` (a shell command line) on a terminal in `cwd`, with
    /// `env` added to a clean environment. None, saying so, when `script`
    /// is not installed.
    pub fn spawn(command: &str, cwd: &Path, env: &[(&str, &str)]) -> Option<Terminal> {
        if !crate::common::have("script") {
            return None;
        }
        let mut cmd = Command::new("script");
        cmd.args(["-qfec", command, "/dev/null"])
            .current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TERM", "xterm")
            .env("LANG", "C.UTF-8")
            .env("TZ", "UTC")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn script");
        let stdin = child.stdin.take();
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut readers = Vec::new();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let output = Arc::clone(&output);
            readers.push(std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    output.lock().expect("output").extend_from_slice(&buf[..n]);
                }
            }));
        }
        Some(Terminal {
            child,
            stdin,
            output,
            readers,
        })
    }

    /// Types `keys`.
    pub fn send(&mut self, keys: &str) {
        let stdin = self.stdin.as_mut().expect("terminal is open");
        stdin.write_all(keys.as_bytes()).expect("type");
        stdin.flush().expect("type");
    }

    /// Where the output is now, for `wait_for` and `since`.
    pub fn mark(&self) -> usize {
        self.output.lock().expect("output").len()
    }

    /// The output after `mark`, as text.
    pub fn since(&self, mark: usize) -> String {
        let out = self.output.lock().expect("output");
        String::from_utf8_lossy(&out[mark.min(out.len())..]).into_owned()
    }

    /// Everything so far, for failure messages.
    pub fn transcript(&self) -> String {
        self.since(0)
    }

    /// Waits until each of `needles` has appeared after `mark`.
    #[track_caller]
    pub fn wait_for(&self, mark: usize, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let text = self.since(mark);
            if needles.iter().all(|n| text.contains(n)) {
                return text;
            }
            if start.elapsed() > DEADLINE {
                panic!(
                    "the terminal never showed {needles:?}; transcript:\n{}",
                    self.transcript()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Closes the keyboard and waits for the program to end; its output.
    pub fn finish(mut self) -> String {
        drop(self.stdin.take());
        let start = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if start.elapsed() < DEADLINE => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = self.child.kill();
                    panic!(
                        "the terminal did not end; transcript:\n{}",
                        self.transcript()
                    );
                }
            }
        }
        // The pipes close when script ends: the readers have every byte.
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        self.transcript()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command line on a terminal to its end; everything it showed.
/// None (saying so) without `script`.
pub fn run_on_terminal(command: &str, cwd: &Path, env: &[(&str, &str)]) -> Option<String> {
    Some(Terminal::spawn(command, cwd, env)?.finish())
}

/// Whether `text` holds an SGR (colour) escape sequence, `ESC [ ... m`.
pub fn has_colour(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == 0x1b && bytes[i + 1] == b'[' {
            let mut j = i + 2;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b';') {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'm' {
                return true;
            }
        }
        i += 1;
    }
    false
}
