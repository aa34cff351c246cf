#!/usr/bin/env bash
# Set everything up from nothing: a virtual environment in .venv with nlp_rnn and its test tools.
# TORCH_SPEC picks the PyTorch build (default torch==2.13.0; e.g. TORCH_SPEC="torch --index-url
# https://download.pytorch.org/whl/cu124" for CUDA). pip keeps an installed torch that satisfies us.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    .venv/bin/python -m pip install -q ${TORCH_SPEC:-torch==2.13.0}
fi
.venv/bin/python -m pip install -q -e ".[test]"
.venv/bin/python -c "import nlp_rnn, torch, spacy; print('nlp_rnn ready: torch', torch.__version__, 'spaCy', spacy.__version__)"
