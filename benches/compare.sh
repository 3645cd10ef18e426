#!/usr/bin/env bash
# Side-by-side criterion medians for two revisions, measured in one sitting so machine noise hits
# both alike: each benchmark is run for BEFORE, then AFTER, then BEFORE and AFTER again, and the
# criterion median of every run is printed in one table.
#
#   benches/compare.sh BEFORE_REV [AFTER_REV] [FILTER]
#
# AFTER_REV defaults to the working tree. FILTER is a criterion filter (a regex over benchmark
# names); without one every benchmark of the search, import and coverage benches runs, which takes
# about 25 minutes on 2 cores. Each revision is built in its own worktree and target directory
# under ${COMPARE_DIR:-/tmp/meetingmap-compare}, kept between runs so a second comparison only
# rebuilds what changed. CRITERION_ARGS is passed to every run (e.g. "--warm-up-time 1").
# Nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
# Revisions are resolved here, before any worktree is touched: "HEAD" means this checkout's.
before=$(git rev-parse --verify "${1:?usage: benches/compare.sh BEFORE_REV [AFTER_REV] [FILTER]}^{commit}")
after=${2:+$(git rev-parse --verify "$2^{commit}")}
filter=${3:-}
root=${COMPARE_DIR:-/tmp/meetingmap-compare}
mkdir -p "$root"

# checkout NAME REV: a worktree of REV (or the working tree itself for an empty REV).
checkout() {
  local name=$1 rev=$2
  if [ -z "$rev" ]; then
    pwd
    return
  fi
  local dir="$root/$name"
  if [ -d "$dir" ]; then
    git -C "$dir" checkout --quiet --detach "$rev"
  else
    git worktree add --quiet --detach "$dir" "$rev"
  fi
  echo "$dir"
}

before_dir=$(checkout before "$before")
after_dir=$(checkout after "$after")
for side in before after; do
  dir=${side}_dir
  (cd "${!dir}" && CARGO_TARGET_DIR="$root/target-$side" cargo bench --no-run --quiet) ||
    { echo "the $side revision does not build" >&2; exit 1; }
done

# One criterion run; prints "name<TAB>median" for each benchmark it ran. Criterion prints a
# benchmark's name, then (on the same line when it is short, else the next) "time: [low median
# high]".
run() {
  local side=$1 bench=$2 dir
  dir=${side}_dir
  (cd "${!dir}" && CARGO_TARGET_DIR="$root/target-$side" cargo bench --quiet --bench "$bench" -- \
      --noplot ${CRITERION_ARGS:-} ${filter:+"$filter"} 2>/dev/null) |
    python3 -c '
import re, sys
name = None
for line in sys.stdin:
    m = re.match(r"^(\S+)?\s*time:\s*\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
    if m:
        print(f"{m.group(1) or name}\t{m.group(2)} {m.group(3)}")
    elif re.match(r"^[A-Za-z0-9_]+/\S+\s*$", line):
        name = line.strip()
'
}

results="$root/results.tsv"
: > "$results"
for bench in search import coverage; do
  for round in 1 2; do
    for side in before after; do
      run "$side" "$bench" | sed "s/^/$side\t$round\t/" >> "$results"
    done
  done
done

echo "| benchmark | before (run 1 / run 2) | after (run 1 / run 2) |"
echo "| --- | --- | --- |"
python3 - "$results" <<'PY'
import sys, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    side, run, name, median = line.rstrip("\n").split("\t")
    rows.setdefault(name, {"before": [], "after": []})[side].append(median)
for name, sides in rows.items():
    print(f"| `{name}` | {' / '.join(sides['before'])} | {' / '.join(sides['after'])} |")
PY
