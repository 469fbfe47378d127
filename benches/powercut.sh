#!/usr/bin/env bash
# benches/powercut.sh — the long power-cut campaign: every writer of rel run
# on a FUSE file system that drops what was not synced (tests/cli/powercut/),
# the power cut after each of its mutating file-system operations in turn
# (1st, 2nd, … last) and after it returns.
#
#   benches/powercut.sh                      # every writer, every cut point; ~10 min
#   REL_POWERCUT_WRITER=config:set benches/powercut.sh   # one writer
#
# At each cut point the store the disk holds is checked three times: keeping
# only what was synced; keeping also every unsynced directory but no unsynced
# file data (names of lost data); keeping also a random part of the unsynced
# inodes. Each check: every release that existed before is there, the one
# the command reported with exit 0 is there and current, CURRENT names a
# complete release (its slug exports), `rel fsck` is clean, and a config
# change and a deploy after it work and leave fsck clean.
#
# Prints one line per writer, then `N passed, N failed` (stores checked).
# Failures of a writer's documented gap (see LOOSE_DEPLOY in
# tests/cli/powercut/mod.rs) are listed apart and not counted as failed.
# Needs root or fusermount3 (Debian's fuse3), /dev/fuse and cc.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked --test cli powercut::power_cut_campaign -- --ignored --nocapture \
  >"$log" 2>&1 || status=$?
grep -E '^(  |[a-z].*: [0-9]+ cut points|known gaps|[0-9]+ passed, [0-9]+ failed)' "$log" || {
  cat "$log"
}
exit "$status"
