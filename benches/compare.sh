#!/usr/bin/env bash
# benches/compare.sh — time rel beside the tools a user would otherwise use to
# keep and switch releases, on the same real trees, in the same run.
#
#   benches/compare.sh            # from a fresh clone; ~15 min, ~40 GB scratch
#
# What it does:
#   1. builds rel (cargo build --release --locked) and copies the binary into
#      the scratch dir, so a rebuild during the run changes nothing;
#   2. installs missing tools (hyperfine is not needed; zstd, git, rsync,
#      ostree, time) with ../shared/bench/setup.sh, else apt-get;
#   3. builds the pinned corpus with ../shared/bench/make-corpus.sh into
#      $CORPUS (default /tmp/relcorpus) unless it is there (needs npm, python3);
#   4. runs every case below, rel and its anchors alternately (round robin,
#      order reversed every other round) so load from other users of the
#      machine falls on all of them alike; warm-up round first, not counted;
#   5. prints a markdown table of medians: wall and CPU (user+sys) time, the
#      ratios rel/anchor, peak RSS (/usr/bin/time -f %M: the largest process
#      of a pipeline), with the machine, its load and the tools' versions; and
#      writes it to benches/results/latest.md, the raw medians (JSON lines) to
#      benches/results/latest.jsonl.
#
# Before every timed run (untimed): the command's inputs are re-read (this
# machine's DAMON pages out file cache idle for ~60 s) and `sync` flushes
# earlier writes. Outputs of earlier runs are renamed into $WORK/trash, never
# deleted before a timed run: the root ext4 has no journal and skips inodes
# freed in the last 60-300 s, so creating many files right after deleting many
# is several times slower. The trash is deleted at the end.
#
# Environment: CORPUS, WORK (default /tmp/relbench-compare), RUNS (timed runs
# of each case, default 5), RUNS_BIG (big-file, default 3), RUNS_SMALL
# (rollback/config:set/releases, default 15), CASES (space-separated subset of
# "cold redeploy unchanged big many history size"), HISTORY (default "10 1000 10000").
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BENCH=${BENCH:-$REPO/../shared/bench}
CORPUS=${CORPUS:-/tmp/relcorpus}
WORK=${WORK:-/tmp/relbench-compare}
export RUNS=${RUNS:-5} RUNS_BIG=${RUNS_BIG:-3} RUNS_SMALL=${RUNS_SMALL:-15}
export CASES=${CASES:-"cold redeploy unchanged big many history size"}
export HISTORY=${HISTORY:-"10 1000 10000"}
RESULTS=$HERE/results

# ---- tools -------------------------------------------------------------------
missing=()
for t in zstd git rsync ostree tar python3; do command -v "$t" >/dev/null || missing+=("$t"); done
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
  echo "compare.sh: installing ${missing[*]}" >&2
  if [[ -r $BENCH/setup.sh ]] && bash "$BENCH/setup.sh" >&2; then
    :
  else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2 || true
    for p in zstd git rsync time ostree; do apt-get install -y -q "$p" >&2 || true; done
  fi
fi
for t in zstd git rsync tar python3; do
  command -v "$t" >/dev/null || { echo "compare.sh: $t is required" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "compare.sh: /usr/bin/time (package time) is required" >&2; exit 1; }

# ---- rel ---------------------------------------------------------------------
(cd "$REPO" && cargo build --release --locked -q)
mkdir -p "$WORK/bin" "$WORK/trash"
cp "${CARGO_TARGET_DIR:-$REPO/target}/release/rel" "$WORK/bin/rel"
export REL_VERSION_TEXT
REL_VERSION_TEXT="rel $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"

# ---- corpus ------------------------------------------------------------------
if [[ ! -e $CORPUS/.node-app.done || ! -e $CORPUS/.big-file.done ]]; then
  for t in npm python3 openssl; do
    command -v "$t" >/dev/null || { echo "compare.sh: building the corpus needs $t" >&2; exit 1; }
  done
  bash "$BENCH/make-corpus.sh" "$CORPUS" >&2
fi

# The previous run deleted its trash at its end: wait out ext4's 300 s of
# inode-reuse penalty rather than time this run's file creation in it.
if [[ -e $WORK/trash-deleted ]]; then
  since=$(( $(date +%s) - $(stat -c %Y "$WORK/trash-deleted") ))
  if (( since < 300 )); then
    echo "compare.sh: the last run deleted many files ${since}s ago; waiting $((300 - since))s" >&2
    sleep $((300 - since))
  fi
fi
AVAIL=$(df -B1 --output=avail "$WORK" | tail -1)
((AVAIL > 30000000000)) || echo "compare.sh: warning: less than 30 GB free in $WORK" >&2

export CORPUS WORK RESULTS
python3 - <<'PY'
import json, os, shlex, shutil, signal, statistics, subprocess, sys, time

CORPUS, WORK, RESULTS = os.environ["CORPUS"], os.environ["WORK"], os.environ["RESULTS"]
RUNS, RUNS_BIG, RUNS_SMALL = (int(os.environ[k]) for k in ("RUNS", "RUNS_BIG", "RUNS_SMALL"))
CASES = os.environ["CASES"].split()
HISTORY = [int(n) for n in os.environ["HISTORY"].split()]
REL = f"{WORK}/bin/rel"
NODE, BIG = f"{CORPUS}/node-app", f"{CORPUS}/big-file"
TRASH = f"{WORK}/trash"
q = shlex.quote

# Deterministic tools: no user config, fixed identities, no auto-gc.
env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1",
           GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid",
           REL_BY="bench@example.invalid", LC_ALL="C")
env.pop("REL_DIR", None)
GIT = "git -c gc.auto=0"
HAVE_OSTREE = shutil.which("ostree") is not None

def sh(cmd, check=True):
    """Runs an untimed shell step."""
    r = subprocess.run(["bash", "-c", "set -euo pipefail\n" + cmd], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        sys.exit(f"compare.sh: step failed ({r.returncode}): {cmd}\n{r.stderr}")
    return r

def out(cmd):
    return subprocess.run(["bash", "-c", cmd], env=env, capture_output=True,
                          text=True).stdout.strip()

def discard(*paths):
    """Out of the way without deleting (see the top of compare.sh)."""
    return " ; ".join(
        f"if [ -e {q(p)} ]; then mv {q(p)} {q(TRASH)}/$(date +%s%N)-$RANDOM; fi" for p in paths)

def warm(*paths):
    """Re-reads inputs into the page cache (through cat: GNU tar skips reading
    when it writes to /dev/null)."""
    return " ; ".join(
        f"tar -C {q(p)} -cf - . | cat >/dev/null" if os.path.isdir(p) else f"cat {q(p)} >/dev/null"
        for p in paths)

def timed(cmd, n):
    """One timed run: wall (perf_counter), CPU (rusage of the whole process
    tree), peak RSS (/usr/bin/time -f %M, the largest process)."""
    cmd = cmd.replace("{n}", str(n))
    rssf = f"{WORK}/rss.txt"
    argv = ["/usr/bin/time", "-f", "%M", "-o", rssf]
    if any(c in cmd for c in "|&;<>$()'\"*"):
        argv += ["bash", "-c", "set -euo pipefail\n" + cmd]
    else:
        argv += shlex.split(cmd)
    errf = open(f"{WORK}/stderr.txt", "w")
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=errf)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    errf.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"compare.sh: timed command failed ({code}): {cmd}\n" + open(f"{WORK}/stderr.txt").read())
    rss = int(open(rssf).read().split()[-1])
    return wall, ru.ru_utime + ru.ru_stime, rss

records = []
counter = [0]

def case(name, title, rows, runs, warmup=1, target=None):
    """rows: list of (tool, label, prepare, cmd). Round robin over the rows."""
    print(f"=== {title}", file=sys.stderr)
    res = {r[0]: {"wall": [], "cpu": [], "rss": []} for r in rows}
    for rnd in range(warmup + runs):
        order = rows if rnd % 2 == 0 else rows[::-1]
        for tool, label, prep, cmd in order:
            counter[0] += 1
            sh(f"{prep}\nsync" if prep else "sync")
            w, c, m = timed(cmd, counter[0])
            if rnd >= warmup:
                res[tool]["wall"].append(w); res[tool]["cpu"].append(c); res[tool]["rss"].append(m)
            print(f"  {tool:10} {w:8.3f}s wall {c:8.3f}s cpu {m/1024:7.1f} MB", file=sys.stderr)
    for tool, label, prep, cmd in rows:
        r = res[tool]
        rec = {"case": name, "title": title, "tool": tool, "label": label, "cmd": cmd,
               "runs": runs, "wall": round(statistics.median(r["wall"]), 4),
               "cpu": round(statistics.median(r["cpu"]), 4), "rss_kb": max(r["rss"]),
               "walls": [round(x, 4) for x in r["wall"]], "target": target}
        records.append(rec)
    emit()

def mutate(path):
    return f"printf 'rel-bench change %s\\n' \"$(date +%s%N)\" >> {q(path)}"

# Files the incremental cases change, restored (size and mtime) at exit.
changed = {}
def remember(path):
    if path not in changed:
        st = os.stat(path)
        changed[path] = (st.st_size, st.st_mtime_ns)
def restore():
    for p, (size, mtime) in changed.items():
        os.truncate(p, size)
        os.utime(p, ns=(mtime, mtime))

def machine():
    cpu = out("lscpu | sed -n 's/^Model name: *//p'") or "?"
    mem = out("free -g | awk '/^Mem:/ {print $2}'")
    fs = out(f"findmnt -no FSTYPE --target {q(WORK)}")
    if fs == "ext4" and "has_journal" not in out(f"tune2fs -l $(findmnt -no SOURCE --target {q(WORK)}) 2>/dev/null"):
        fs += " without a journal"
    tools = {
        "rel": os.environ["REL_VERSION_TEXT"],
        "rustc": out("rustc --version"),
        "zstd": out("zstd --version | grep -o 'v[0-9.]*' | head -1 | sed 's/^/zstd /'"),
        "tar": out("tar --version | head -1"),
        "git": out("git --version"),
        "rsync": out("rsync --version | head -1 | awk '{print $1, $3}'"),
        "ostree": out("ostree --version | sed -n \"s/.*Version: *'\\?\\([^']*\\).*/ostree \\1/p\"") if HAVE_OSTREE else "not installed",
    }
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "kernel": out("uname -r"), "cpus": os.cpu_count(), "cpu": cpu,
            "mem_gb": mem, "fs": fs, "tools": tools}

info = machine()
info["load_start"] = os.getloadavg()

def fmt_t(s):
    return f"{s*1000:.1f} ms" if s < 1 else f"{s:.2f} s"

def emit():
    """Writes the table (all records so far) to RESULTS."""
    os.makedirs(RESULTS, exist_ok=True)
    with open(f"{RESULTS}/latest.jsonl", "w") as f:
        f.write(json.dumps({"machine": info}) + "\n")
        for r in records:
            f.write(json.dumps({k: v for k, v in r.items()
                                if k not in ("walls", "title", "target") and v is not None}) + "\n")
    with open(f"{RESULTS}/latest.md", "w") as f:
        f.write(table())

def table():
    lines = []
    m = info
    lines.append(f"Measured {m['date']} on {m['cpus']} × {m['cpu']}, {m['mem_gb']} GB RAM, "
                 f"kernel {m['kernel']}, {m['fs']}; load average "
                 f"{m['load_start'][0]:.2f} at the start, {m.get('load_end', os.getloadavg())[0]:.2f} at the end. "
                 + ", ".join(v for v in m["tools"].values()) + ".")
    lines.append("")
    lines.append("| case | tool | wall (median) | CPU user+sys | peak RSS | rel/tool wall | rel/tool CPU | target |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---|")
    cell = lambda s: s.replace("|", "\\|")
    by_case = {}
    for r in records:
        by_case.setdefault((r["case"], r["title"]), []).append(r)
    for (name, title), rows in by_case.items():
        rel = next((r for r in rows if r["tool"] == "rel"), None)
        heroku = next((r for r in rows if r["tool"] == "heroku"), None)
        for r in rows:
            if "store_bytes" in r:
                ratio = ""
                if rel and r is not rel and rel.get("store_bytes"):
                    ratio = f"{rel['store_bytes'] / r['store_bytes']:.2f}"
                lines.append(f"| {cell(title)} | {cell(r['label'])} | {r['store_bytes']/1e6:.1f} MB on disk | | | {ratio} | | {r.get('target') or ''} |")
                continue
            rw = rc = ""
            if r["tool"].startswith("rel-") and heroku:
                # A variant of rel (tar input): its own ratio to the same anchor.
                rw = f"{r['wall'] / heroku['wall']:.2f} (vs tar+zstd)"
                rc = f"{r['cpu'] / heroku['cpu']:.2f}"
            elif rel and not r["tool"].startswith("rel"):
                rw = f"{rel['wall'] / r['wall']:.2f}"
                rc = f"{rel['cpu'] / r['cpu']:.2f}"
            lines.append(f"| {cell(title)} | {cell(r['label'])} | {fmt_t(r['wall'])} | {fmt_t(r['cpu'])} | "
                         f"{r['rss_kb']/1024:.1f} MB | {rw} | {rc} | {r.get('target') or ''} |")
    return "\n".join(lines) + "\n"

def rel_app(path, tree=None):
    """An app with a fresh store (and a first deploy of tree)."""
    s = f"{discard(path)} ; {q(REL)} init -q {q(path)}"
    if tree:
        s += f" && {q(REL)} -q -C {q(path)} deploy {q(tree)}"
    return s

def main():
    os.makedirs(TRASH, exist_ok=True)
    W = f"{WORK}/w"
    sh(discard(W) + f"; mkdir -p {q(W)}")
    CH = f"{NODE}/node_modules/express/index.js"
    remember(CH)

    if "cold" in CASES:
        sh(f"tar -C {q(NODE)} -cf {W}/node.tar .")
        rows = [("rel", "rel deploy DIR (store + checkout + activate)",
                 rel_app(f"{W}/cold") + " ; " + warm(NODE),
                 f"{REL} -C {W}/cold deploy {NODE}"),
                ("rel-tar", "tar -c | rel deploy - (tar stream)",
                 rel_app(f"{W}/coldtar") + " ; " + warm(NODE),
                 f"tar -C {q(NODE)} -cf - . | {q(REL)} -C {q(W)}/coldtar deploy -"),
                ("heroku", "tar | zstd -3 -T0, then zstd -dc | tar -x",
                 discard(f"{W}/slug.tar.zst", f"{W}/hx") + " ; " + warm(NODE),
                 f"tar -C {q(NODE)} -cf - . | zstd -3 -T0 -q -o {W}/slug.tar.zst && mkdir {W}/hx && "
                 f"zstd -dc {W}/slug.tar.zst | tar -xf - -C {W}/hx"),
                ("heroku-sync", "the same, then sync (durable, as rel's release is)",
                 discard(f"{W}/slug2.tar.zst", f"{W}/hx2") + " ; " + warm(NODE),
                 f"tar -C {q(NODE)} -cf - . | zstd -3 -T0 -q -o {W}/slug2.tar.zst && mkdir {W}/hx2 && "
                 f"zstd -dc {W}/slug2.tar.zst | tar -xf - -C {W}/hx2 && sync"),
                # What a store plus a checkout costs the file system at the
                # least, with no hashing or compression: two copies of the
                # tree written at once, made durable.
                ("floor", "two tar -x of the tree at once, then sync (two durable copies)",
                 discard(f"{W}/fa", f"{W}/fb") + f" ; mkdir {W}/fa {W}/fb ; cat {W}/node.tar >/dev/null",
                 f"tar -xf {W}/node.tar -C {W}/fa & a=$! ; tar -xf {W}/node.tar -C {W}/fb ; wait $a ; sync"),
                ("git", "git init, add -A, commit, checkout to a new dir",
                 discard(f"{W}/git", f"{W}/gx", f"{W}/gidx") + " ; " + warm(NODE),
                 f"git init -q {W}/git && {GIT} -C {W}/git --work-tree={q(NODE)} add -A -f && "
                 f"{GIT} -C {W}/git commit -q -m x && mkdir {W}/gx && GIT_INDEX_FILE={W}/gidx "
                 f"{GIT} -C {W}/git --work-tree={W}/gx checkout -f HEAD -- .")]
        if HAVE_OSTREE:
            rows.append(("ostree", "ostree init + commit, checkout -U -H",
                         discard(f"{W}/ostree", f"{W}/ox") + " ; " + warm(NODE),
                         f"ostree --repo={W}/ostree init --mode=bare-user && ostree --repo={W}/ostree "
                         f"commit -b app --tree=dir={q(NODE)} >/dev/null && ostree --repo={W}/ostree "
                         f"checkout -U -H app {W}/ox"))
        case("cold", "node-app cold deploy", rows, RUNS,
             target="rel/heroku ≤ 1.0 (goal 0.8)")

    if "redeploy" in CASES:
        sh(rel_app(f"{W}/live", NODE) + f" ; {discard(W + '/rs-prev')} ; rsync -a {q(NODE)}/ {W}/rs-prev/")
        case("redeploy", "node-app redeploy, 1 file changed", [
            ("rel", "rel deploy DIR (new slug, checkout, switch)", f"{mutate(CH)} ; {warm(NODE)}",
             f"{REL} -C {W}/live deploy {NODE}"),
            ("rsync", "rsync -a --link-dest=PREV", f"{discard(W + '/rs-new')} ; {mutate(CH)} ; {warm(NODE)}",
             f"rsync -a --link-dest={W}/rs-prev {NODE}/ {W}/rs-new/"),
            ("rsync-sync", "the same, then sync (durable, as rel's release is)",
             f"{discard(W + '/rs-new2')} ; {mutate(CH)} ; {warm(NODE)}",
             f"rsync -a --link-dest={W}/rs-prev {NODE}/ {W}/rs-new2/ && sync"),
        ], RUNS, target="rel/rsync ≤ 0.3")

    if "unchanged" in CASES:
        sh(f"[ -d {W}/live ] || {{ {rel_app(W + '/live', NODE)} ; }}")
        sh(f"{discard(W + '/git2')} ; git init -q {W}/git2 && {GIT} -C {W}/git2 --work-tree={q(NODE)} "
           f"add -A -f && {GIT} -C {W}/git2 commit -q -m x")
        case("unchanged", "node-app redeploy, nothing changed", [
            ("rel", "rel deploy DIR (stat cache; no new release)", warm(NODE),
             f"{REL} -C {W}/live deploy {NODE}"),
            ("git", "git add -A && git commit --allow-empty", warm(NODE),
             f"{GIT} -C {W}/git2 --work-tree={q(NODE)} add -A -f && {GIT} -C {W}/git2 commit -q --allow-empty -m x"),
        ], RUNS, warmup=2, target="rel/git ≤ 1.0")

    if "big" in CASES:
        # Few files: deleting the previous output is harmless here.
        case("big", "big-file deploy (2 GiB random + 1 GiB text)", [
            ("rel", "rel deploy DIR", f"rm -rf {W}/big ; {q(REL)} init -q {W}/big ; {warm(BIG)}",
             f"{REL} -C {W}/big deploy {BIG}"),
            ("heroku", "tar | zstd -3 -T0, then zstd -dc | tar -x",
             f"rm -rf {W}/big.tar.zst {W}/bx ; {warm(BIG)}",
             f"tar -C {q(BIG)} -cf - . | zstd -3 -T0 -q -o {W}/big.tar.zst && mkdir {W}/bx && "
             f"zstd -dc {W}/big.tar.zst | tar -xf - -C {W}/bx"),
            ("heroku-sync", "the same, then sync (durable, as rel's release is)",
             f"rm -rf {W}/big2.tar.zst {W}/bx2 ; {warm(BIG)}",
             f"tar -C {q(BIG)} -cf - . | zstd -3 -T0 -q -o {W}/big2.tar.zst && mkdir {W}/bx2 && "
             f"zstd -dc {W}/big2.tar.zst | tar -xf - -C {W}/bx2 && sync"),
        ], RUNS_BIG, target="rel/heroku ≤ 0.6; RSS ≤ 64 MB")
        sh(f"rm -rf {W}/big {W}/big.tar.zst {W}/bx {W}/big2.tar.zst {W}/bx2")

    if "many" in CASES:
        # Memory grows with the number of files (paths, the tree being
        # built), not their size: a tree of 100,000 small files, made once.
        MANY = f"{CORPUS}/many-files"
        if not os.path.exists(f"{CORPUS}/.many-files.done"):
            for d in range(1000):
                os.makedirs(f"{MANY}/pkg{d:04d}/lib", exist_ok=True)
                for f in range(100):
                    with open(f"{MANY}/pkg{d:04d}/lib/mod{f:03d}.js", "w") as fh:
                        fh.write(f"module.exports = {{ id: {d * 100 + f}, name: 'mod{f:03d}' }};\n")
            open(f"{CORPUS}/.many-files.done", "w").close()
        case("many", "100,000 small files, cold deploy", [
            ("rel", "rel deploy DIR", rel_app(f"{W}/many") + " ; " + warm(MANY),
             f"{REL} -C {W}/many deploy {MANY}"),
            ("heroku", "tar | zstd -3 -T0, then zstd -dc | tar -x",
             discard(f"{W}/many.tar.zst", f"{W}/mx") + " ; " + warm(MANY),
             f"tar -C {q(MANY)} -cf - . | zstd -3 -T0 -q -o {W}/many.tar.zst && mkdir {W}/mx && "
             f"zstd -dc {W}/many.tar.zst | tar -xf - -C {W}/mx"),
        ], RUNS_BIG, target="RSS ≤ 64 MB")

    if "history" in CASES:
        H = f"{W}/hist"
        sh(rel_app(H, NODE))
        for n in HISTORY:
            # Real releases made by the porcelain: one config:set each.
            have = int(out(f"ls {H}/.releases/releases | wc -l"))
            if n > have:
                sh(f"for i in $(seq {have + 1} {n}); do {q(REL)} -q -C {H} config:set FILL=$i; done")
            case("history", f"{n} releases in history", [
                ("rel-rollback", "rel rollback", "", f"{REL} -q -C {H} rollback"),
                ("rel-config", "rel config:set K=V", "", f"{REL} -q -C {H} config:set BENCH={{n}}"),
                ("rel-releases", "rel releases", "", f"{REL} -C {H} releases"),
            ], RUNS_SMALL, warmup=2, target="≤ 20 ms, flat from 10 to 10,000")

    if "size" in CASES:
        S = f"{W}/size"
        sh(f"{discard(S)} ; mkdir -p {S}/tars ; {q(REL)} init -q {S}/rel ; git init -q {S}/git")
        files = out(f"cd {q(NODE)} && find node_modules -name '*.js' -size +2k | LC_ALL=C sort | awk 'NR % 37 == 0' | head -60").split("\n")
        t0 = time.perf_counter()
        for i in range(20):
            if i:
                for f in files[3 * (i - 1): 3 * i]:
                    remember(f"{NODE}/{f}")
                    sh(mutate(f"{NODE}/{f}"))
            sh(f"{q(REL)} -q -C {S}/rel deploy {q(NODE)}")
            sh(f"tar -C {q(NODE)} -cf - . | zstd -3 -T0 -q -o {S}/tars/{i:02}.tar.zst")
            sh(f"{GIT} -C {S}/git --work-tree={q(NODE)} add -A -f && {GIT} -C {S}/git commit -q --allow-empty -m {i}")
        sh(f"{GIT} -C {S}/git gc -q")
        du = lambda p: int(out(f"du -s -B1 {q(p)} | cut -f1"))
        title = "store size after 20 deploys, 3 files changed each"
        for tool, label, path in (("rel", "rel: .releases/objects", f"{S}/rel/.releases/objects"),
                                  ("heroku", "20 tarballs (tar | zstd -3)", f"{S}/tars"),
                                  ("git", "git after git gc: .git/objects", f"{S}/git/.git/objects")):
            records.append({"case": "size", "title": title, "tool": tool, "label": label,
                            "store_bytes": du(path),
                            "target": "rel/tarballs ≤ 0.3" if tool == "heroku" else None})
        print(f"  20 rounds in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        emit()

try:
    main()
finally:
    restore()
    info["load_end"] = os.getloadavg()
    if records:
        emit()
        print(table())
    subprocess.run(["rm", "-rf", TRASH])
    open(f"{WORK}/trash-deleted", "w").close()
PY
