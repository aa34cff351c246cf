#!/usr/bin/env bash
# The main job on the bundled data: convert, train an English and a Chinese intent model (1,000
# steps each: a few hundred utterances need no more), evaluate, predict.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
NLP=".venv/bin/nlp-rnn"
for lang in en zh; do
    for split in train dev test; do
        $NLP convert "data/$lang/$split.jsonl" "corpus/$lang/$split.spacy" --format jsonl --lang "$lang"
    done
    $NLP train "pipelines/intent_$lang.cfg" --output "training/intent_$lang" \
        --paths.train "corpus/$lang/train.spacy" --paths.dev "corpus/$lang/dev.spacy" --training.max_steps 1000
    $NLP evaluate "training/intent_$lang/model-best" "corpus/$lang/test.spacy" \
        --output "training/intent_$lang/test_metrics.json" --plots "training/intent_$lang/plots"
done
$NLP predict training/intent_en/model-best "what time is it?" "wake me up at 7 am tomorrow" "play some jazz by miles davis"
$NLP predict training/intent_zh/model-best "现在几点了" "明天北京天气怎么样" "播放周杰伦的稻香"
echo
echo "Done. Models, metrics and plots:"
for lang in en zh; do
    echo "  training/intent_$lang/model-best           (model-last beside it)"
    echo "  training/intent_$lang/test_metrics.json    (nlp-rnn evaluate on corpus/$lang/test.spacy)"
    echo "  training/intent_$lang/plots/intent_confusion.png"
done
echo "Try: $NLP predict training/intent_en/model-best \"what's the weather in paris\""
