#!/usr/bin/env bash
# `npm run test:stress`: the whole suite (`npm test`) while busy loops keep every core occupied —
# the machine CI may be on, shared with other work. STRESS_LOOPS busy loops (default: one per
# core), STRESS_RUNS consecutive runs (default 1; stops at the first failure). Each run's time and
# result go to stderr; extra arguments go to jest. Exit status: the first failing run's, else 0.
set -euo pipefail
cd "$(dirname "$0")/.."
loops=${STRESS_LOOPS:-$(nproc)}
runs=${STRESS_RUNS:-1}
pids=()
stop_loops() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true; }
trap stop_loops EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 "$loops"); do
  # A plain shell loop: pure CPU, no memory or I/O, at the same priority as the tests.
  bash -c 'while :; do :; done' &
  pids+=($!)
done
printf 'test:stress: %s busy loops on %s cores, %s run(s)\n' "$loops" "$(nproc)" "$runs" >&2
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  status=0
  bash scripts/test.sh "$@" || status=$?
  printf 'test:stress: run %s of %s: %s in %s s (load %s)\n' "$i" "$runs" \
    "$([ $status -eq 0 ] && echo passed || echo "FAILED ($status)")" "$(( $(date +%s) - start ))" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
  [ $status -eq 0 ] || exit $status
done
