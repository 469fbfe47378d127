//! rel: Heroku-style numbered releases for one Linux host, kept in a
//! content-addressed store (`.releases/`) in the style of git.
//!
//! The core (everything but `cli` and `commands`) never prints: it returns
//! data and takes writers and a [`progress::Progress`] where it must report.

pub mod checkout;
pub mod cli;
pub mod commands;
pub mod config;
pub mod current;
pub mod diff;
pub mod error;
pub mod export;
pub mod fsck;
pub mod fsstat;
pub mod gc;
pub mod history;
pub mod hooks;
pub mod id;
pub mod ingest;
pub mod lock;
pub mod manifest;
pub mod odb;
pub mod ops;
pub mod progress;
pub mod pruned;
pub mod quote;
pub mod release;
pub mod report;
pub mod source;
pub mod sparse;
pub mod statcache;
pub mod store;
pub mod sys;
pub mod tarstream;
pub mod time;
pub mod transport;
pub mod tree;

pub use cli::run;
