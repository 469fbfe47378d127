#!/usr/bin/env bash
# benches/compare.sh — time rel beside the tools a user would otherwise use to
# keep and switch releases, on the same real trees, in the same run.
#
#   benches/compare.sh            # from a fresh clone; ~25 min, ~40 GB scratch
#   CASES="push1" RUNS=1 benches/compare.sh     # one case, quickly
#
# The cases (CASES, in this order), each with its targets:
#   cold       node-app cold deploy vs tar | zstd -3 -T0, then extract
#              (rel/tar+zstd ≤ 1.0, goal 0.8), beside git, ostree, the same
#              followed by sync, and two tar -x at once (the file system's floor)
#   files      files under .releases/ outside checkouts after a cold deploy
#              of node-app (≤ 100)
#   redeploy   node-app redeploy, 1 file changed, vs a stat walk of the tree
#              plus cp -al of the previous checkout (≤ 1.2) and vs rsync -a
#              --link-dest (ahead of it: < 1.0; the earlier target 0.3)
#   unchanged  node-app redeploy, nothing changed, vs git add + commit (≤ 1.0)
#   big        big-file deploy vs tar | zstd (≤ 0.6)
#   many       100,000 small files, cold deploy vs tar | zstd (≤ 1.3, goal 1.0)
#   history    rollback, config:set, releases at HISTORY releases (≤ 20 ms)
#   scale      one-file redeploy, unchanged redeploy and rollback in a store
#              of SCALE (1,000) real one-file deploys vs one of 10 (≤ 1.2 ×),
#              of a 1,716-file tree cut from node-app (1,000 deploys of
#              node-app itself would take 10 minutes or more)
#   push       rel push of node-app to an empty store over ssh, vs tar -c |
#              zstd -T0 | ssh 'zstd -d | tar -x; sync' (≤ 1.0)
#   push1      rel push after one file changed vs rsync -a --link-dest over the
#              same ssh (≤ 0.3), and the bytes rel writes to ssh (counted by a
#              wrapper on each connection's stdin) vs 2 × the changed blob plus
#              the changed trees, as stored (≤ 1.0)
#   size       store after 20 deploys, 3 files changed each, vs 20 tarballs
#              (≤ 0.3) and git after git gc (≤ 1.5, goal 1.0); also a store at
#              each zstd level of SIZE_LEVELS, with its 20 deploys' time
# Peak RSS ≤ 64 MB is checked on rel's rows of cold, big and many.
# The push cases start an sshd of their own on 127.0.0.1, on a free port, with
# throwaway keys (apt-get installs openssh-server if missing), and stop it at
# exit.
#
# What it does:
#   1. builds rel (cargo build --release --locked) and copies the binary into
#      the scratch dir, so a rebuild during the run changes nothing;
#   2. installs missing tools (hyperfine is not needed; zstd, git, rsync,
#      ostree, time, openssh) with ../shared/bench/setup.sh, else apt-get;
#   3. builds the pinned corpus with ../shared/bench/make-corpus.sh into
#      $CORPUS (default /tmp/relcorpus) unless it is there (needs npm, python3);
#   4. runs every case below, rel and its anchors alternately (round robin,
#      order reversed every other round) so load from other users of the
#      machine falls on all of them alike; warm-up round first, not counted;
#   5. prints a markdown table of medians: wall and CPU (user+sys) time, the
#      ratios rel/anchor, peak RSS (/usr/bin/time -f %M: the largest process
#      of a pipeline), each target's status on the row it is measured against
#      ("1.12 ≤ 1.0: missed by 12%") and again in a table of targets below,
#      with the machine, its load and the tools' versions; and writes it to
#      $RESULTS/latest.md, the raw medians (JSON lines) to $RESULTS/latest.jsonl.
#
# Before every timed run (untimed): the command's inputs are re-read (this
# machine's DAMON pages out file cache idle for ~60 s) and `sync` flushes
# earlier writes. Outputs of earlier runs are renamed into $WORK/trash, never
# deleted before a timed run: the root ext4 has no journal and skips inodes
# freed in the last 60-300 s, so creating many files right after deleting many
# is several times slower. The trash is deleted at the end.
#
# Environment: CORPUS, WORK (default /tmp/relbench-compare), RESULTS (default
# benches/results), RUNS (timed runs of each case, default 5), RUNS_BIG
# (big-file and 100,000 files, default 3), RUNS_SMALL (the millisecond
# commands: history and scale's rollback, default 15), CASES (space-separated
# subset of the cases above), HISTORY (default "10 1000 10000"), SCALE
# (default 1000), SIZE_LEVELS (zstd levels to compare in size, default "3";
# empty for none).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BENCH=${BENCH:-$REPO/../shared/bench}
CORPUS=${CORPUS:-/tmp/relcorpus}
WORK=${WORK:-/tmp/relbench-compare}
export RUNS=${RUNS:-5} RUNS_BIG=${RUNS_BIG:-3} RUNS_SMALL=${RUNS_SMALL:-15}
export CASES=${CASES:-"cold files redeploy unchanged big many history scale push push1 size"}
export HISTORY=${HISTORY:-"10 1000 10000"} SIZE_LEVELS=${SIZE_LEVELS-"3"} SCALE=${SCALE:-1000}
RESULTS=${RESULTS:-$HERE/results}

# ---- tools -------------------------------------------------------------------
missing=()
for t in zstd git rsync ostree tar python3; do command -v "$t" >/dev/null || missing+=("$t"); done
[[ -x /usr/bin/time ]] || missing+=(time)
if [[ " $CASES " == *" push"* ]]; then
  [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
fi
if ((${#missing[@]})); then
  echo "compare.sh: installing ${missing[*]}" >&2
  if [[ -r $BENCH/setup.sh ]] && bash "$BENCH/setup.sh" >&2; then
    :
  else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2 || true
    for p in zstd git rsync time ostree openssh-server openssh-client; do
      apt-get install -y -q "$p" >&2 || true
    done
  fi
fi
for t in zstd git rsync tar python3; do
  command -v "$t" >/dev/null || { echo "compare.sh: $t is required" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "compare.sh: /usr/bin/time (package time) is required" >&2; exit 1; }
if [[ " $CASES " == *" push"* ]]; then
  [[ -x /usr/sbin/sshd ]] && command -v ssh-keygen >/dev/null ||
    { echo "compare.sh: the push cases need OpenSSH (packages openssh-server, openssh-client)" >&2; exit 1; }
fi

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
import json, os, shlex, shutil, signal, socket, statistics, subprocess, sys, time

CORPUS, WORK, RESULTS = os.environ["CORPUS"], os.environ["WORK"], os.environ["RESULTS"]
RUNS, RUNS_BIG, RUNS_SMALL = (int(os.environ[k]) for k in ("RUNS", "RUNS_BIG", "RUNS_SMALL"))
CASES = os.environ["CASES"].split()
HISTORY = [int(n) for n in os.environ["HISTORY"].split()]
SIZE_LEVELS = os.environ["SIZE_LEVELS"].split()
SCALE = int(os.environ["SCALE"])
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
summary = []   # every target: (title, what, status text, met)
counter = [0]

def status(value, bound, goal=None, fmt="{:.2f}", unit=""):
    """'1.12 ≤ 1.0: missed by 12%', with the goal's verdict after it."""
    bf = "{:.1f}" if fmt == "{:.2f}" else "{:g}"
    def verdict(b):
        if value <= b:
            return "met"
        if value >= 2 * b:
            return f"missed, {value / b:.1f} × the bound"
        return f"missed by {(value / b - 1) * 100:.0f}%"
    s = f"{fmt.format(value)}{unit} ≤ {bf.format(bound)}{unit}: {verdict(bound)}"
    if goal is not None:
        s += f" (goal ≤ {bf.format(goal)}{unit}: {verdict(goal)})"
    return s, value <= bound

def ratio(num, den, bound, goal=None, on=None, what=None, key="wall"):
    """A target on num/den (medians of key), shown on row `on` (default den)."""
    return {"on": on or den, "what": what or f"{num}/{den}",
            "value": lambda R: R[num][key] / R[den][key], "bound": bound, "goal": goal}

def limit(tool, key, bound, what=None):
    """A target on one row's own figure: wall in ms or peak RSS in MB."""
    if key == "rss_kb":
        return {"on": tool, "what": what or f"peak RSS of {tool}", "value": lambda R: R[tool]["rss_kb"] / 1024,
                "bound": bound, "fmt": "{:.1f}", "unit": " MB"}
    return {"on": tool, "what": what or "wall", "value": lambda R: R[tool][key] * 1000,
            "bound": bound, "fmt": "{:.1f}", "unit": " ms"}

def judge(title, recs, targets):
    """Attaches each target's status to its row and to the summary."""
    R = {r["tool"]: r for r in recs}
    for t in targets or []:
        text, met = status(t["value"](R), t["bound"], t.get("goal"), t.get("fmt", "{:.2f}"), t.get("unit", ""))
        R[t["on"]].setdefault("targets", []).append(f"{t['what']} {text}")
        summary.append((title, t["what"], text, met))

def case(name, title, rows, runs, warmup=1, targets=None, base="rel", vs=None):
    """rows: list of (tool, label, prepare, cmd). Round robin over the rows.
    The ratio column is base/row for every other row, or row/vs[row] for the
    rows in vs (variants of rel beside the same anchor)."""
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
    recs = []
    for tool, label, prep, cmd in rows:
        r = res[tool]
        rec = {"case": name, "title": title, "tool": tool, "label": label, "cmd": cmd,
               "runs": runs, "wall": round(statistics.median(r["wall"]), 4),
               "cpu": round(statistics.median(r["cpu"]), 4), "rss_kb": max(r["rss"]),
               "walls": [round(x, 4) for x in r["wall"]], "base": base,
               "vs": (vs or {}).get(tool)}
        recs.append(rec)
    judge(title, recs, targets)
    records.extend(recs)
    emit()

def fact(name, title, tool, label, text, ratio_text="", **extra):
    """A row that is a figure, not a timing (sizes, counts, bytes)."""
    rec = {"case": name, "title": title, "tool": tool, "label": label, "text": text,
           "ratio": ratio_text}
    rec.update(extra)
    records.append(rec)
    return rec

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
                                if k not in ("walls", "title", "base", "vs", "text", "ratio")
                                and v is not None}) + "\n")
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
    lines.append("| case | tool | wall (median) | CPU user+sys | peak RSS | rel/tool wall | rel/tool CPU | target: status |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---|")
    cell = lambda s: s.replace("|", "\\|")
    by_case = {}
    for r in records:
        by_case.setdefault((r["case"], r["title"]), []).append(r)
    for (name, title), rows in by_case.items():
        tools = {r["tool"]: r for r in rows}
        for r in rows:
            tg = cell("; ".join(r.get("targets", [])))
            if "text" in r:
                lines.append(f"| {cell(title)} | {cell(r['label'])} | {r['text']} | | | {r['ratio']} | | {tg} |")
                continue
            rw = rc = ""
            base = tools.get(r.get("base"))
            if r.get("vs") in tools:
                a = tools[r["vs"]]
                rw = f"{r['wall'] / a['wall']:.2f} (vs {a['tool']})"
                rc = f"{r['cpu'] / a['cpu']:.2f}"
            elif base and r is not base:
                rw = f"{base['wall'] / r['wall']:.2f}"
                rc = f"{base['cpu'] / r['cpu']:.2f}"
            lines.append(f"| {cell(title)} | {cell(r['label'])} | {fmt_t(r['wall'])} | {fmt_t(r['cpu'])} | "
                         f"{r['rss_kb']/1024:.1f} MB | {rw} | {rc} | {tg} |")
    if summary:
        lines.append("")
        lines.append("Targets, from this run:")
        lines.append("")
        lines.append("| case | target | measured: status |")
        lines.append("|---|---|---|")
        for title, what, text, met in summary:
            lines.append(f"| {cell(title)} | {cell(what)} | {cell(text) if met else '**' + cell(text) + '**'} |")
    return "\n".join(lines) + "\n"

def rel_app(path, tree=None):
    """An app with a fresh store (and a first deploy of tree)."""
    s = f"{discard(path)} ; {q(REL)} init -q {q(path)}"
    if tree:
        s += f" && {q(REL)} -q -C {q(path)} deploy {q(tree)}"
    return s

sshd = []

def start_sshd():
    """An sshd of the bench's own on 127.0.0.1 and a free port, with
    throwaway keys (stopped at exit); returns the path of an ssh command
    for it, beside which SSH-count also counts the bytes of its stdin."""
    d = f"{WORK}/sshd"
    sh(f"{discard(d)} ; mkdir -m 700 {q(d)} && for k in host key; do "
       f"ssh-keygen -q -t ed25519 -N '' -f {q(d)}/$k; done && cp {q(d)}/key.pub {q(d)}/authorized_keys")
    os.makedirs("/run/sshd", exist_ok=True)
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]
    with open(f"{d}/sshd_config", "w") as f:
        f.write(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host\nAuthorizedKeysFile {d}/authorized_keys\n"
                "PidFile none\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
                "StrictModes no\nPermitRootLogin prohibit-password\nLogLevel ERROR\n")
    p = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", f"{d}/sshd_config"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=open(f"{d}/log", "w"))
    sshd.append(p)
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if p.poll() is not None or time.time() > deadline:
                sys.exit(f"compare.sh: sshd did not start: {open(d + '/log').read()}")
            time.sleep(0.05)
    opts = (f"ssh -F /dev/null -p {port} -i {d}/key -o IdentitiesOnly=yes -o BatchMode=yes "
            "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
    ssh = f"{WORK}/bin/bench-ssh"
    with open(ssh, "w") as f:
        f.write(f'#!/bin/sh\nexec {opts} "$@"\n')
    with open(f"{ssh}-count", "w") as f:
        f.write(f'#!/bin/sh\ndd bs=65536 2>>"$SSH_COUNT" | {opts} "$@"\n')
    os.chmod(ssh, 0o755)
    os.chmod(f"{ssh}-count", 0o755)
    sh(f"{ssh} 127.0.0.1 true")
    return ssh

def stop_sshd():
    for p in sshd:
        p.terminate()
        p.wait()

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
        case("cold", "node-app cold deploy", rows, RUNS, vs={"rel-tar": "heroku"},
             targets=[ratio("rel", "heroku", 1.0, 0.8), limit("rel", "rss_kb", 64),
                      limit("rel-tar", "rss_kb", 64)])

    if "files" in CASES:
        # What a cold deploy leaves in the store for the file system to
        # hold: every file under .releases/ but the checkouts.
        F = f"{W}/files"
        sh(rel_app(F, NODE))
        st = f"{F}/.releases"
        count = lambda expr: int(out(f"find {q(st)} -path {q(st)}/checkouts -prune -o {expr} -print | wc -l"))
        n = count("! -type d")
        loose = count("-path '*/objects/??/*' ! -type d")
        packs = count("-path '*/objects/pack/*' ! -type d")
        title = "files under .releases/ outside checkouts after a cold deploy of node-app"
        rec = fact("files", title, "rel", "rel deploy DIR, then find .releases ! -type d (checkouts/ pruned)",
                   f"{n} files ({loose} loose objects, {packs} pack files, {n - loose - packs} others)",
                   files=n, loose_objects=loose, pack_files=packs)
        judge(title, [rec], [{"on": "rel", "what": "files", "value": lambda R: n, "bound": 100, "fmt": "{:.0f}"}])
        print(f"  {rec['text']}", file=sys.stderr)
        emit()

    if "redeploy" in CASES:
        sh(rel_app(f"{W}/live", NODE) + f" ; {discard(W + '/rs-prev')} ; rsync -a {q(NODE)}/ {W}/rs-prev/")
        # The floor of a one-file redeploy: learn what changed (a stat of
        # every file) and make a new checkout of hard links to the last.
        case("redeploy", "node-app redeploy, 1 file changed", [
            ("rel", "rel deploy DIR (new slug, checkout, switch)", f"{mutate(CH)} ; {warm(NODE)}",
             f"{REL} -C {W}/live deploy {NODE}"),
            ("rsync", "rsync -a --link-dest=PREV", f"{discard(W + '/rs-new')} ; {mutate(CH)} ; {warm(NODE)}",
             f"rsync -a --link-dest={W}/rs-prev {NODE}/ {W}/rs-new/"),
            ("rsync-sync", "the same, then sync (durable, as rel's release is)",
             f"{discard(W + '/rs-new2')} ; {mutate(CH)} ; {warm(NODE)}",
             f"rsync -a --link-dest={W}/rs-prev {NODE}/ {W}/rs-new2/ && sync"),
            ("floor", "stat walk (find -printf '%s %T@') + cp -al PREV",
             f"{discard(W + '/cp-new')} ; {mutate(CH)} ; {warm(NODE)}",
             f"find {q(NODE)} -printf '%s %T@\\n' >/dev/null && cp -al {W}/rs-prev {W}/cp-new"),
        ], RUNS, targets=[ratio("rel", "floor", 1.2),
                          ratio("rel", "rsync", 1.0, 0.3)])

    if "unchanged" in CASES:
        sh(f"[ -d {W}/live ] || {{ {rel_app(W + '/live', NODE)} ; }}")
        sh(f"{discard(W + '/git2')} ; git init -q {W}/git2 && {GIT} -C {W}/git2 --work-tree={q(NODE)} "
           f"add -A -f && {GIT} -C {W}/git2 commit -q -m x")
        case("unchanged", "node-app redeploy, nothing changed", [
            ("rel", "rel deploy DIR (stat cache; no new release)", warm(NODE),
             f"{REL} -C {W}/live deploy {NODE}"),
            ("git", "git add -A && git commit --allow-empty", warm(NODE),
             f"{GIT} -C {W}/git2 --work-tree={q(NODE)} add -A -f && {GIT} -C {W}/git2 commit -q --allow-empty -m x"),
        ], RUNS, warmup=2, targets=[ratio("rel", "git", 1.0)])

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
        ], RUNS_BIG, targets=[ratio("rel", "heroku", 0.6), limit("rel", "rss_kb", 64)])
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
        ], RUNS_BIG, targets=[ratio("rel", "heroku", 1.3, 1.0), limit("rel", "rss_kb", 64)])

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
            ], RUNS_SMALL, warmup=2, base=None,
                targets=[limit("rel-rollback", "wall", 20, "rollback"),
                         limit("rel-config", "wall", 20, "config:set")])

    if "scale" in CASES:
        # 1,000 real deploys, one file changed each, where packs accumulate
        # and consolidate, against the same store after 10. Of a smaller
        # tree than node-app (4 of its packages, 1,716 files): 1,000
        # one-file redeploys of node-app take 10 minutes or more here.
        SM, SF = f"{W}/small", f"{W}/small/node_modules/express/index.js"
        sh(f"{discard(SM)} ; mkdir -p {SM}/node_modules ; for p in lodash moment axios express; do "
           f"cp -a {q(NODE)}/node_modules/$p {SM}/node_modules/ ; done")
        stores = {"rel-1000": (f"{W}/s1000", SCALE), "rel-10": (f"{W}/s10", 10)}
        for tool, (path, n) in stores.items():
            t0 = time.perf_counter()
            sh(rel_app(path, SM) + f" ; for i in $(seq 2 {n}); do {mutate(SF)} ; "
               f"{q(REL)} -q -C {q(path)} deploy {q(SM)} ; done")
            packs = int(out(f"ls {q(path)}/.releases/objects/pack | grep -c '[.]pack$'"))
            loose = int(out(f"find {q(path)}/.releases/objects -path '*/objects/??/*' -type f | wc -l"))
            print(f"  {n} deploys in {time.perf_counter() - t0:.0f} s: {packs} packs, {loose} loose objects",
                  file=sys.stderr)
        p1000, p10 = stores["rel-1000"][0], stores["rel-10"][0]
        title = f"{SCALE} deploys vs 10 (1,716-file tree)"
        case("scale", f"{title}: one-file redeploy", [
            ("rel-1000", f"rel deploy DIR after {SCALE} deploys", f"{mutate(SF)} ; {warm(SM)}",
             f"{REL} -C {p1000} deploy {SM}"),
            ("rel-10", "rel deploy DIR after 10 deploys", f"{mutate(SF)} ; {warm(SM)}",
             f"{REL} -C {p10} deploy {SM}"),
        ], RUNS, base="rel-1000", targets=[ratio("rel-1000", "rel-10", 1.2)])
        case("scale", f"{title}: unchanged redeploy", [
            ("rel-1000", f"rel deploy DIR after {SCALE} deploys",
             f"{q(REL)} -q -C {p1000} deploy {SM} ; {warm(SM)}", f"{REL} -C {p1000} deploy {SM}"),
            ("rel-10", "rel deploy DIR after 10 deploys",
             f"{q(REL)} -q -C {p10} deploy {SM} ; {warm(SM)}", f"{REL} -C {p10} deploy {SM}"),
        ], RUNS, warmup=2, base="rel-1000", targets=[ratio("rel-1000", "rel-10", 1.2)])
        case("scale", f"{title}: rollback", [
            ("rel-1000", f"rel rollback after {SCALE} deploys", "", f"{REL} -C {p1000} rollback"),
            ("rel-10", "rel rollback after 10 deploys", "", f"{REL} -C {p10} rollback"),
        ], RUNS_SMALL, warmup=2, base="rel-1000", targets=[ratio("rel-1000", "rel-10", 1.2)])

    if "push" in CASES or "push1" in CASES:
        SSH = start_sshd()
        SRC, HOST = f"{W}/psrc", "127.0.0.1"
        sh(rel_app(SRC, NODE))
        push = lambda dest, ssh=SSH: (f"{REL} -C {SRC} push {HOST}:{dest} --ssh {ssh} --rel {REL}")

    if "push" in CASES:
        case("push", "push of node-app to an empty destination over ssh (loopback)", [
            ("rel", "rel push HOST:DIR (objects, release, checkout, activate)",
             f"{discard(W + '/pdst')} ; {q(REL)} init -q {W}/pdst ; {warm(SRC + '/.releases/objects')}",
             push(f"{W}/pdst")),
            ("tar-ssh", "tar -c | zstd -T0 | ssh HOST 'zstd -d | tar -x; sync'",
             f"{discard(W + '/ptx')} ; {warm(NODE)}",
             f"tar -C {q(NODE)} -cf - . | zstd -3 -T0 -q | {SSH} {HOST} "
             f"'mkdir {W}/ptx && zstd -dq | tar -xf - -C {W}/ptx && sync'"),
        ], RUNS, targets=[ratio("rel", "tar-ssh", 1.0)])

    if "push1" in CASES:
        D1, PREV = f"{W}/p1dst", f"{W}/p1prev"
        sh(f"{discard(D1, PREV)} ; {q(REL)} init -q {D1} ; {push(D1)} ; rsync -a {q(NODE)}/ {PREV}/")
        title = "push after changing one file, over ssh (loopback)"
        case("push1", title, [
            ("rel", "rel push HOST:DIR (a new slug of 1 changed file)",
             f"{mutate(CH)} ; {q(REL)} -q -C {SRC} deploy {q(NODE)} ; {warm(SRC + '/.releases/objects')}",
             push(D1)),
            ("rsync", "rsync -a --link-dest=PREV over the same ssh",
             f"{discard(W + '/p1new')} ; {mutate(CH)} ; {warm(NODE)}",
             f"rsync -a -e {SSH} --link-dest={PREV} {q(NODE)}/ {HOST}:{W}/p1new/"),
        ], RUNS, targets=[ratio("rel", "rsync", 0.3)])
        # Bytes: one more push, untimed, through an ssh that counts what
        # rel writes to each connection's standard input.
        old = out(f"{q(REL)} -C {SRC} rev-parse --slug current")
        sh(f"{mutate(CH)} ; {q(REL)} -q -C {SRC} deploy {q(NODE)}")
        new = out(f"{q(REL)} -C {SRC} rev-parse --slug current")
        ids = set(out(f"{q(REL)} -C {SRC} list-objects {new}").split()) - \
            set(out(f"{q(REL)} -C {SRC} list-objects {old}").split())
        blob = tree = 0
        for i in sorted(ids):
            where = out(f"{q(REL)} -C {SRC} cat-object --where {i}").split()
            size = int(where[3]) if where[0] == "pack" else os.stat(f"{SRC}/.releases/{where[1]}").st_size
            if out(f"{q(REL)} -C {SRC} cat-object -t {i}") == "blob":
                blob += size
            else:
                tree += size
        bound = 2 * blob + tree
        COUNT = f"{W}/ssh-bytes"
        sh(f"rm -f {COUNT}")
        r = subprocess.run(["bash", "-c", push(D1, f"{SSH}-count")], env=dict(env, SSH_COUNT=COUNT),
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"compare.sh: counted push failed: {r.stderr}")
        wire = sum(int(l.split()[0]) for l in open(COUNT) if " bytes" in l and l.split()[0].isdigit())
        conns = sum(1 for l in open(COUNT) if " bytes" in l)
        said = next((l.strip() for l in r.stderr.splitlines() if "objects sent" in l), "?")
        said = said[said.find("(") + 1: said.rfind(")")] if "(" in said else said
        pack = int(out(f"{q(REL)} -C {SRC} list-objects {new} | grep -F -f <(printf '%s\\n' {' '.join(sorted(ids))}) "
                       f"| {q(REL)} -C {SRC} pack-objects | wc -c"))
        btitle = "push after changing one file: bytes sent"
        recs = [fact("push1", btitle, "bound", "bound: 2 × the changed blob + the changed trees, as stored",
                     f"{bound} B ({len(ids)} new objects: blob {blob} B, trees {tree} B)", bound_bytes=bound),
                fact("push1", btitle, "rel", f"rel push, over {conns} ssh connections (rel says: {said})",
                     f"{wire} B written to ssh; the pack alone {pack} B", wire_bytes=wire, pack_bytes=pack)]
        judge(btitle, recs, [{"on": "rel", "what": "bytes sent/bound", "bound": 1.0,
                              "value": lambda R: wire / bound},
                             {"on": "rel", "what": "pack bytes/bound", "bound": 1.0,
                              "value": lambda R: pack / bound}])
        print(f"  {recs[1]['text']}; bound {bound} B", file=sys.stderr)
        emit()

    if "size" in CASES:
        S = f"{W}/size"
        # rel at its default zstd level, and at each of SIZE_LEVELS (a
        # setting of the store, for comparison; rel's default is unchanged).
        stores = {"rel": f"{S}/rel"}
        for lvl in SIZE_LEVELS:
            stores[f"rel-z{lvl}"] = f"{S}/rel-z{lvl}"
        sh(f"{discard(S)} ; mkdir -p {S}/tars ; git init -q {S}/git")
        for tool, path in stores.items():
            sh(f"{q(REL)} init -q {q(path)}")
            if tool != "rel":
                lvl = tool.split("-z")[1]
                sh(f"sed -i 's/^compression = .*/compression = {lvl}/' {q(path)}/.releases/settings.toml")
        deploy_s = {tool: 0.0 for tool in stores}
        files = out(f"cd {q(NODE)} && find node_modules -name '*.js' -size +2k | LC_ALL=C sort | awk 'NR % 37 == 0' | head -60").split("\n")
        t0 = time.perf_counter()
        for i in range(20):
            if i:
                for f in files[3 * (i - 1): 3 * i]:
                    remember(f"{NODE}/{f}")
                    sh(mutate(f"{NODE}/{f}"))
            order = list(stores.items())
            for tool, path in (order if i % 2 == 0 else order[::-1]):
                sh("sync")
                t1 = time.perf_counter()
                sh(f"{q(REL)} -q -C {q(path)} deploy {q(NODE)}")
                deploy_s[tool] += time.perf_counter() - t1
            sh(f"tar -C {q(NODE)} -cf - . | zstd -3 -T0 -q -o {S}/tars/{i:02}.tar.zst")
            sh(f"{GIT} -C {S}/git --work-tree={q(NODE)} add -A -f && {GIT} -C {S}/git commit -q --allow-empty -m {i}")
        sh(f"{GIT} -C {S}/git gc -q")
        du = lambda p: int(out(f"du -s -B1 {q(p)} | cut -f1"))
        title = "store size after 20 deploys, 3 files changed each"
        size = {tool: du(f"{path}/.releases/objects") for tool, path in stores.items()}
        size["heroku"], size["git"] = du(f"{S}/tars"), du(f"{S}/git/.git/objects")
        recs = [fact("size", title, "rel", "rel: .releases/objects (default level)",
                     f"{size['rel']/1e6:.1f} MB on disk; 20 deploys {deploy_s['rel']:.1f} s",
                     store_bytes=size["rel"], deploys_s=round(deploy_s["rel"], 2))]
        for tool in stores:
            if tool != "rel":
                lvl = tool.split("-z")[1]
                recs.append(fact("size", title, tool, f"rel with compression = {lvl} in settings.toml",
                                 f"{size[tool]/1e6:.1f} MB on disk; 20 deploys {deploy_s[tool]:.1f} s "
                                 f"({deploy_s[tool] / deploy_s['rel']:.2f} × the default's)",
                                 f"{size[tool] / size['git']:.2f} (vs git)",
                                 store_bytes=size[tool], deploys_s=round(deploy_s[tool], 2)))
        for tool, label in (("heroku", "20 tarballs (tar | zstd -3)"),
                            ("git", "git after git gc: .git/objects")):
            recs.append(fact("size", title, tool, label, f"{size[tool]/1e6:.1f} MB on disk",
                             f"{size['rel'] / size[tool]:.2f}", store_bytes=size[tool]))
        judge(title, recs, [{"on": "heroku", "what": "rel/tarballs", "bound": 0.3,
                             "value": lambda R: size["rel"] / size["heroku"]},
                            {"on": "git", "what": "rel/git after gc", "bound": 1.5, "goal": 1.0,
                             "value": lambda R: size["rel"] / size["git"]}])
        print(f"  20 rounds in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        emit()

try:
    main()
finally:
    restore()
    stop_sshd()
    info["load_end"] = os.getloadavg()
    if records:
        emit()
        print(table())
    subprocess.run(["rm", "-rf", TRASH])
    open(f"{WORK}/trash-deleted", "w").close()
PY
