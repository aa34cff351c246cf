#!/usr/bin/env bash
# Two Ray nodes on this machine, one killed mid-run: nlp-rnn annotate --engine ray (20,000 lines,
# then --resume) and nlp-rnn tune --ray. Not in the default test run (a few minutes on two cores).
#   bash scripts/ray_cluster_check.sh            (uses .venv; pip install -e ".[ray,tune,test]")
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
export NLP_RNN_RAY_CLUSTER=1 NLP_RNN_THREADS=1 OMP_NUM_THREADS=1
exec timeout 1200 "$PYTHON" -m pytest -q -s tests/test_ray_cluster.py --durations=0 "$@"
