//! Black-box tests of rel through the built binary, one module per topic.

mod common;
mod smoke;
mod deploy;
mod porcelain;
mod releases;
mod releases_info;
mod rollback;
mod config;
mod addons;
mod fixtures;
mod store;
mod objects;
mod hooks;
mod exec;
mod diff;
mod status;
mod equivalence;
mod slug;
mod tar;
mod plumbing;
mod fsck_gc;
mod lock;
mod terminal;
mod completions;
mod progress;
mod crash;
