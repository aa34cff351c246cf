#!/usr/bin/env bash
# Once in a real torch-free virtual environment (issue 27 items 4 and 6): an exported pipeline with
# out-of-scope rejection runs through nlp-rnn predict, annotate and serve, and as a package made by
# `python -m spacy package`, with nothing but the runtime installed (spaCy, numpy, onnxruntime:
# `pip install -e .` without extras). Needs the project's .venv (scripts/setup.sh) to train and
# export, and network access for the fresh environment's pip. Takes a few minutes; not in pytest.
#
#   bash scripts/torch_free_check.sh [WORK_DIR]      # default: a new folder under /tmp
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-$(mktemp -d /tmp/nlp_rnn_torch_free.XXXXXX)}
mkdir -p "$WORK"
NLP="$ROOT/.venv/bin/nlp-rnn"
VENV="$WORK/venv"
step() { echo; echo "== $*"; }

step "with torch (.venv): train a small intent model with msp_mahalanobis rejection, export it to ONNX"
for split in train dev; do
    "$NLP" convert "data/en/$split.jsonl" "$WORK/corpus/$split.spacy" --format jsonl --lang en >/dev/null
done
"$NLP" train pipelines/intent_en.cfg --output "$WORK/training" --threads 1 \
    --paths.train "$WORK/corpus/train.spacy" --paths.dev "$WORK/corpus/dev.spacy" --training.max_steps 150 \
    --components.rnn_intent.model.encoder.hidden_size 64 --components.rnn_intent.oos.score msp_mahalanobis | tail -n 3
"$NLP" export "$WORK/training/model-best" "$WORK/exported" --format onnx

step "a fresh virtual environment with the runtime only: pip install -e . (no extras), the serve extra"
python3 -m venv "$VENV"
quiet() { "$@" > "$WORK/quiet.log" 2>&1 || { cat "$WORK/quiet.log"; exit 1; }; }  # pip's and build's noise, shown on failure
quiet "$VENV/bin/python" -m pip install --upgrade pip
quiet "$VENV/bin/python" -m pip install -e ".[serve]" build
if "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    echo "FAIL: torch was installed by the runtime's requirements"; exit 1
fi
"$VENV/bin/python" -m pip list 2>/dev/null | grep -iE "^(spacy|numpy|onnxruntime|torch|nlp-rnn) " || true
echo "torch: not installed"

step "nlp-rnn predict on the exported pipeline"
TEXTS=("wake me up at 7 am tomorrow" "play some jazz" "zxqv blorp unknownword frobnicate")
"$VENV/bin/nlp-rnn" predict "$WORK/exported" "${TEXTS[@]}" --top-k 1 | tee "$WORK/predict.jsonl"
grep -q '"out_of_scope"' "$WORK/predict.jsonl" || { echo "FAIL: records have no out_of_scope field"; exit 1; }

step "nlp-rnn annotate"
printf '%s\n' "${TEXTS[@]}" > "$WORK/in.txt"
"$VENV/bin/nlp-rnn" annotate "$WORK/exported" "$WORK/in.txt" "$WORK/annotated.jsonl" --overwrite 2>/dev/null
cat "$WORK/annotated.jsonl"
grep -q '"out_of_scope"' "$WORK/annotated.jsonl" || { echo "FAIL: annotate records have no out_of_scope field"; exit 1; }

step "nlp-rnn serve (a real uvicorn process)"
PORT=$("$VENV/bin/python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$VENV/bin/nlp-rnn" serve "$WORK/exported" --port "$PORT" > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
    "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/health')" 2>/dev/null && break
    sleep 0.5
done
"$VENV/bin/python" - "$PORT" "${TEXTS[@]}" <<'EOF'
import json, sys, urllib.request
port, texts = sys.argv[1], sys.argv[2:]
def post(path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return response.status, json.loads(response.read())
status, parsed = post("/parse", {"texts": texts, "top_k": 1})
print("/parse", status, json.dumps(parsed["results"], ensure_ascii=False))
assert all("out_of_scope" in record for record in parsed["results"]), "no out_of_scope field"
for text in texts:
    status, rasa = post("/model/parse", {"text": text})
    print("/model/parse", status, text, "→", rasa["intent"]["name"])
EOF
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
trap - EXIT

step "python -m spacy package of the exported pipeline, installed and loaded torch-free"
mkdir -p "$WORK/packages"
quiet "$VENV/bin/python" -m spacy package "$WORK/exported" "$WORK/packages" --name intent_oos --version 0.0.1 --force
REQUIRES=$("$VENV/bin/python" -c "import json, sys; print(json.load(open(sys.argv[1]))['requirements'])" "$WORK/packages/en_intent_oos-0.0.1/meta.json")
echo "package requirements: $REQUIRES"
quiet "$VENV/bin/python" -m pip install "$WORK/packages/en_intent_oos-0.0.1/dist/en_intent_oos-0.0.1.tar.gz"
"$VENV/bin/python" - "${TEXTS[@]}" <<'EOF'
import sys
import spacy
nlp = spacy.load("en_intent_oos")
for doc in nlp.pipe(sys.argv[1:]):
    print(f"{doc.text!r}: {max(doc.cats, key=doc.cats.get)} out_of_scope={doc._.out_of_scope} oos_score={doc._.oos_score:.3f}")
assert "torch" not in sys.modules
EOF
"$VENV/bin/python" -c "import torch" 2>/dev/null && { echo "FAIL: installing the package pulled torch"; exit 1; }

step "a torch pipeline in the torch-free environment: one line, exit 1"
set +e
"$VENV/bin/nlp-rnn" predict "$WORK/training/model-best" "hello"; CODE=$?
"$VENV/bin/nlp-rnn" train pipelines/intent_en.cfg --output "$WORK/x" --paths.train "$WORK/corpus/train.spacy" --paths.dev "$WORK/corpus/dev.spacy"; CODE2=$?
set -e
[ "$CODE" = 1 ] && [ "$CODE2" = 1 ] || { echo "FAIL: exit codes $CODE, $CODE2"; exit 1; }

echo
echo "OK: torch-free runtime checks passed (work folder $WORK)"
