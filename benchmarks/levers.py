"""Accuracy levers of a shipped config, chosen on dev: each named set of config overrides trained
once per seed, scored on the dev split; test is read only with ``--test``, once, for the chosen
lever and the baseline.

    python benchmarks/levers.py [--dataset cais|snips|atis|resume|banking77|tatoeba_zh_en] [--levers baseline averages label_smoothing]
                                [--seeds 0 1 2] [--max-minutes M] [--data-dir ../shared/data]
    python benchmarks/levers.py --dataset cais --test LEVER
    python benchmarks/levers.py --dataset resume --merge OTHER_WORKTREE/benchmarks/results/levers_resume.json
    python benchmarks/levers.py --dataset tatoeba_zh_en --significance LEVER

Every run is ``nlp-rnn train CONFIG --system.seed S --KEY VALUE …`` (the overrides of its lever,
see LEVERS) into benchmarks/results/work/models/levers_DATASET/LEVER/sSEED, then ``nlp-rnn evaluate``
of its model-best on dev: intent accuracy, slot (span) F1, exact match (a translator: BLEU and chrF
with the pipeline's beam), seconds to best dev and the step of model-best. Runs already in
benchmarks/results/levers_DATASET.json (same overrides, same cap) are kept, so a cut run resumes;
each finished run rewrites the JSON and the markdown table
(mean ± half the max − min spread over seeds, delta of the mean against ``baseline``).

``--test LEVER`` trains nothing: it evaluates the dev runs' model-best of LEVER and of baseline on
the test split (every seed the JSON holds for both) and records the figures under ``test``.
``--significance LEVER`` (translators, whose levers run one seed) trains nothing: the dev translations
of LEVER's and baseline's model-best of each seed, and sacrebleu's paired approximate randomization
test of their BLEU (``nlp_rnn.api.paired_bleu_test``); a lever's gain counts when p < 0.05.
Threads: each command gets ``--threads 1`` unless ``--threads N`` says otherwise.
"""

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Dict, List, Optional

from common import RESULTS, ROOT, WORK, cli, convert_splits, data_dir, rel, run, train_model, write_results
from pretrain import PRETRAIN_MINUTES

DATASETS = {
    # name: (lang, convert format, config, component, train, dev, test) relative to the data folder
    "cais": ("zh", "cais", "pipelines/joint_zh.cfg", "rnn_joint", "cais/train", "cais/valid", "cais/test"),
    "snips": ("en", "snips", "pipelines/joint_en.cfg", "rnn_joint", "snips/train", "snips/valid", "snips/test"),
    "atis": ("en", "snips", "pipelines/joint_en.cfg", "rnn_joint", "atis/train", "atis/valid", "atis/test"),
    "resume": ("zh", "bmes", "pipelines/ner_zh.cfg", "rnn_tagger",
               "resume_ner/train.char.bmes", "resume_ner/dev.char.bmes", "resume_ner/test.char.bmes"),
    "banking77": ("en", "csv", "pipelines/intent_en.cfg", "rnn_intent",
                  "banking77/train_split.csv", "banking77/dev.csv", "banking77/test.csv"),
    "tatoeba_zh_en": ("zh", "tatoeba", "pipelines/translate_zh_en.cfg", "rnn_translator",
                      "tatoeba_cmn_eng/train.tsv", "tatoeba_cmn_eng/dev.tsv", "tatoeba_cmn_eng/test.tsv"),
}
# Overrides: a key starting with COMPONENT is under the data set's component (``components.rnn_joint.``
# or ``components.rnn_tagger.``), INIT_COMPONENT under its initialize settings; any other key is a config
# path as it stands. The value TEACHER_MODELS stands for the model-best of every ``baseline`` run.
COMPONENT = "component."
INIT_COMPONENT = "initialize.component."
TEACHER_MODELS = "<baseline models>"
PRETRAINED_ENCODER = "<pretrained encoder>"  #: stands for the data set's encoder from `nlp-rnn pretrain` (made once)
LEVERS: Dict[str, Dict[str, object]] = {
    "baseline": {},
    # Polyak-style parameter averaging: evaluated and saved with the averages (averaging_shim.py)
    "averages": {"training.optimizer.use_averages": True},
    # label smoothing ε of the intent cross-entropy (and of the slot one without a CRF; the CRF is not smoothed)
    "label_smoothing": {"component.model.label_smoothing": 0.1},
    # a second stacked BiLSTM layer (dropout between the layers is the encoder's)
    "two_layers": {"component.model.encoder.num_layers": 2},
    # a Conv1D front end over the embeddings (local n-gram features before the BiLSTM; one state per token)
    "conv_front_end": {"component.model.encoder.conv_filters": 256, "component.model.encoder.conv_kernel": 3},
    # SoftLexicon-style jieba dictionary words over each character (begin / inside / end, roles), beside
    # the Chinese configs' features
    "lexicon": {"component.model.encoder.features": ["ORTH", "SOFTWORD", "JIEBA_WORD", "BIGRAM", "LEX_B", "LEX_M", "LEX_E", "LEX_ROLES"],
                "component.model.encoder.feature_widths": [128, 16, 64, 64, 32, 32, 32, 16]},
    # the Chinese configs without the lexicon features (the baseline of a config that ships them)
    "no_lexicon": {"component.model.encoder.features": ["ORTH", "SOFTWORD", "JIEBA_WORD", "BIGRAM"],
                   "component.model.encoder.feature_widths": [128, 16, 64, 64]},
    # Stack-Propagation's intent → slot link: the slot head reads each token's intent distribution
    # (the token-level intent vote, which the joint configs already have)
    "intent_to_slot": {"component.model.intent_to_slot": True},
    # an intent–slot co-attention layer between the BiLSTM and the heads (nlp_rnn/nn/co_attention.py)
    "co_attention": {"component.model.co_attention": True},
    # a slower schedule: early stopping after 2,000 steps without a better dev score (not 1,000) and the
    # learning rate halved after 4 evaluations without one (not 2): for runs whose best dev comes early
    "patient_schedule": {"training.patience": 2000, "training.optimizer.learn_rate.patience": 4},
    # a gentler start for runs whose best dev comes right after the warm-up (Resume NER: step 400-800 for half
    # the runs, then early stopping): half the initial rate, twice the warm-up
    "gentle_schedule": {"training.optimizer.learn_rate.initial_rate": 0.0015, "training.optimizer.learn_rate.warmup_steps": 400},
    # distillation of the baseline's seeds (their mean intent probabilities and tag marginals as soft
    # targets beside the gold, weight 1; nlp_rnn/pipeline/distillation.py): one model of the shipped size
    "distill": {"initialize.component.teachers": TEACHER_MODELS},
    # a data-sized schedule for the translator: no step count (warmup_linear's total_steps = max_steps = 9,500,
    # sized on test runs of an earlier version), the rate halved after 2 evaluations without a better dev
    # BLEU (nlp_rnn.warmup_plateau.v1, as the other configs); early stopping after 3,000 steps as shipped
    "plateau_schedule": {"training.max_steps": 0,
                         "training.optimizer.learn_rate": {"@schedules": "nlp_rnn.warmup_plateau.v1", "initial_rate": 0.002,
                                                           "warmup_steps": 200, "factor": 0.5, "patience": 2}},
    # the encoder pretrained as a bidirectional LM on the train split's texts (`nlp-rnn pretrain`, 20 min, seed 0)
    # before the task trains on all the labels: benchmarks/pretrain.py measured -0.3 to -0.6 slot F1 at 100 %
    # labels with one seed on test; this is the same arm with 3 seeds on dev
    "pretrained_encoder": {"initialize.component.init_encoder": PRETRAINED_ENCODER},
    # the best trial of `nlp-rnn tune` on CAIS dev (benchmarks/results/tune_search_cais.md, one seed there)
    "tuned_cais": {"component.model.encoder.dropout": 0.38985602878810444,
                   "component.model.encoder.word_dropout": 0.17328033469311066,
                   "component.model.encoder.hidden_size": 384,
                   "training.optimizer.learn_rate.initial_rate": 0.0048139716194275945, "training.batcher.size": 64},
}
# levers whose runs the results keep but this code no longer runs: what they were
RETIRED = {
    "distill_token_softmax": "`distill` as first written (commit d45da7b): the teachers' tag marginals trained the per-token "
                             "softmax of the CRF emissions, not the CRF's own marginals",
}
METRICS = ("intent_accuracy", "span_f1", "exact_match")
TRANSLATION_METRICS = ("bleu", "chrf")
# the figures each component's rows show, and those whose gain can change a default (see verdict)
COMPONENT_METRICS = {"rnn_joint": (METRICS, ("intent_accuracy", "span_f1")),
                     "rnn_tagger": (("span_f1",), ("span_f1",)),
                     "rnn_intent": (("intent_accuracy",), ("intent_accuracy",)),
                     "rnn_translator": (TRANSLATION_METRICS, ("bleu",))}
LABELS = {"intent_accuracy": "intent acc", "span_f1": "slot F1", "exact_match": "exact match",
          "bleu": "BLEU", "chrf": "chrF"}


def dataset_metrics(dataset: str):
    """(figures shown, figures that decide) for the data set's component: :data:`COMPONENT_METRICS`."""
    return COMPONENT_METRICS[DATASETS[dataset][3]]
TIMING = ("seconds_to_best_dev", "best_step", "final_step", "train_seconds")


def result_path(dataset: str) -> Path:
    return RESULTS / f"levers_{dataset}.json"


def load_results(dataset: str) -> Dict:
    path = result_path(dataset)
    if path.exists():
        return json.loads(path.read_text(encoding="utf8"))
    return {"dataset": dataset, "levers": {}}


def resolve(lever: str, component: str, results: Dict, encoder: Optional[Path] = None) -> Dict[str, object]:
    """The lever's overrides as config paths of ``component`` (see :data:`COMPONENT`), with
    :data:`TEACHER_MODELS` replaced by the absolute paths of the baseline runs' model-best and
    :data:`PRETRAINED_ENCODER` by ``encoder`` (see :func:`pretrained_encoder`)."""
    resolved = {}
    for key, value in LEVERS[lever].items():
        for prefix, section in ((COMPONENT, "components"), (INIT_COMPONENT, "initialize.components")):
            if key.startswith(prefix):
                key = f"{section}.{component}.{key[len(prefix):]}"
        if value == TEACHER_MODELS:
            runs = results["levers"].get("baseline", {}).get("runs", [])
            if not runs:
                raise SystemExit(f"lever {lever!r} distils the baseline's models: run --levers baseline first")
            value = [str(ROOT / run["model"]) for run in runs]
        if value == PRETRAINED_ENCODER:
            value = rel(encoder)
        resolved[key] = value
    return resolved


def pretrained_encoder(dataset: str, config: str, train: Path, results: Dict, threads: int) -> Path:
    """``nlp-rnn pretrain CONFIG TRAIN`` (its texts only, :data:`PRETRAIN_MINUTES`, seed 0) into
    benchmarks/results/work/encoders/levers_DATASET, once; its training record goes into ``results``."""
    out = WORK / "encoders" / f"levers_{dataset}"
    if not (out / "encoder.json").exists():
        run(cli("pretrain", config, train, out, "--max-steps", "0", "--max-minutes", str(PRETRAIN_MINUTES), "--seed", "0",
                "--threads", str(threads)), WORK / "logs" / f"pretrain_levers_{dataset}.log")
    training = json.loads((out / "encoder.json").read_text(encoding="utf8"))["training"]
    results["pretraining"] = {key: training.get(key) for key in (
        "steps", "epochs", "seconds", "best_step", "texts", "dev_perplexity_forward", "dev_perplexity_backward", "stopped_by")}
    return out


def override_args(overrides: Dict[str, object]) -> List[str]:
    """``{"a.b": true}`` → ``["--a.b", "true"]`` (values as JSON, the way spaCy parses overrides)."""
    args: List[str] = []
    for key, value in overrides.items():
        args += [f"--{key}", json.dumps(value)]
    return args


def evaluate(model: Path, data: Path, out: Path, threads: int) -> Dict:
    run(cli("evaluate", model, data, "--output", out, "--threads", str(threads)), WORK / "logs" / f"eval_{out.stem}.log")
    return json.loads(out.read_text())


def train_lever(dataset: str, config: str, lever: str, overrides: Dict[str, object], seed: int, paths: Dict[str, Path],
                minutes: Optional[float], threads: int) -> Dict:
    """One training of ``lever`` (its resolved ``overrides``) with ``seed``, scored on dev."""
    name = f"levers_{dataset}_{lever}_s{seed}"
    out_dir = WORK / "models" / f"levers_{dataset}" / lever / f"s{seed}"
    command = cli("train", config, "--threads", str(threads), "--system.seed", str(seed), *override_args(overrides))
    if minutes is not None:
        command += ["--max-minutes", str(minutes)]
    log = WORK / "logs" / f"train_{name}.log"
    timing = train_model(command, out_dir, paths, log)
    # --max-minutes is nlp-rnn train's own deadline: its log says when it ended the run
    timing["stopped_at_deadline"] = timing["stopped_at_deadline"] or "Stopped by --max-minutes" in log.read_text(encoding="utf8")
    meta = json.loads((out_dir / "model-best" / "meta.json").read_text())["training"]
    metrics = evaluate(out_dir / "model-best", paths["dev"], WORK / f"{name}_dev.json", threads)
    return dict(
        {key: metrics.get(key) for key in dataset_metrics(dataset)[0]}, seed=seed, overrides=overrides, max_minutes=minutes,
        best_step=meta["step"], final_step=meta["final_step"], model=rel(out_dir / "model-best"), **timing,
    )


def summarize(runs: List[Dict], keys) -> Dict:
    """Mean and max − min spread of each figure over the runs (seeds)."""
    out = {"seeds": [r["seed"] for r in runs], "mean": {}, "spread": {}}
    for key in keys:
        values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
        if values and len(values) == len(runs):
            out["mean"][key] = sum(values) / len(values)
            out["spread"][key] = max(values) - min(values)
    return out


def cell(summary: Dict, key: str, scale: float = 100.0, digits: int = 2) -> str:
    if key not in summary["mean"]:
        return "—"
    mean, half = scale * summary["mean"][key], scale * summary["spread"][key] / 2
    return f"{mean:.{digits}f} ± {half:.{digits}f}" if len(summary["seeds"]) > 1 else f"{mean:.{digits}f}"


def delta(summary: Dict, base: Optional[Dict], key: str) -> str:
    if not base or summary is base or key not in summary["mean"] or key not in base["mean"]:
        return "—"
    return f"{100 * (summary['mean'][key] - base['mean'][key]):+.2f}"


def verdict(summary: Dict, base: Optional[Dict], deciding) -> str:
    """Whether the mean dev gain of a figure is larger than the seed spread (max − min) of both
    the lever and the baseline: the rule for changing a default."""
    if not base or summary is base:
        return ""
    wins = []
    for key in deciding:
        if key in summary["mean"] and key in base["mean"]:
            gain = summary["mean"][key] - base["mean"][key]
            if gain > max(summary["spread"][key], base["spread"][key]):
                wins.append(key)
    return ", ".join(wins) if wins else "no"


def markdown(results: Dict) -> str:
    dataset = results["dataset"]
    levers = results["levers"]
    shown, deciding = dataset_metrics(dataset)
    summaries = {name: summarize(entry["runs"], shown + TIMING) for name, entry in levers.items() if entry["runs"]}
    base = summaries.get("baseline")
    caps = sorted({str(r.get("max_minutes")) for e in levers.values() for r in e["runs"] if r.get("max_minutes")})
    stopped = sum(bool(r.get("stopped_at_deadline")) for e in levers.values() for r in e["runs"])
    lines = [
        f"# Accuracy levers, {dataset} (dev split, CPU, 1 thread)",
        "",
        f"`python benchmarks/levers.py --dataset {dataset}`: `{results['config']}` with each lever's config overrides,",
        "trained once per seed; model-best scored on **dev**. Figures: mean ± half the max − min spread over the",
        "seeds; Δ is the lever's mean minus the baseline's. \"gain > spread\" names the figures whose mean gain is",
        "larger than the seed spread (max − min) of both the lever and the baseline — the rule for changing a default.",
        "Intent accuracy is that of the saved model-best, after the intent prior correction (`prior_weight`) that",
        "`nlp-rnn train` chooses on dev, as a user gets it; slot F1 and exact match are span-exact, as in `nlp-rnn evaluate`."
        if "intent_accuracy" in shown else
        "BLEU and chrF are sacrebleu's (cased) over the pipeline's translations (its beam), as in `nlp-rnn evaluate`.",
        "",
    ]
    if results.get("pretraining"):
        pre = results["pretraining"]
        lines += [f"`pretrained_encoder`: `nlp-rnn pretrain` on the {pre['texts']} train texts, {pre['steps']} steps "
                  f"({pre['epochs']} passes) in {pre['seconds'] / 60:.1f} min (stopped by {pre['stopped_by']}); held-out "
                  f"perplexity {pre['dev_perplexity_forward']:.1f} forward / {pre['dev_perplexity_backward']:.1f} backward "
                  f"(best step {pre['best_step']}).", ""]
    if caps:
        lines += [f"Each training capped with `--max-minutes {', '.join(caps)}`; {stopped} of the runs reached the cap "
                  "(model-best is then the best evaluation before it).", ""]
    figure_heads = "".join(f" {LABELS[key]} | Δ |" for key in shown)
    lines += [
        f"| lever | overrides | seeds |{figure_heads} s to best dev | best step | gain > spread |",
        "|---|---|---|" + "---|---|" * len(shown) + "---|---|---|",
    ]
    for name, s in summaries.items():
        overrides = ", ".join(f"`{k} = {json.dumps(TEACHER_MODELS if k.endswith('.teachers') else v)}`"
                              for k, v in levers[name]["overrides"].items()) or "(shipped config)"
        figures = "".join(f" {cell(s, key)} | {delta(s, base, key)} |" for key in shown)
        lines.append(
            f"| {name} | {overrides} | {s['seeds']} |{figures} "
            f"{cell(s, 'seconds_to_best_dev', 1.0, 0)} | {cell(s, 'best_step', 1.0, 0)} | {verdict(s, base, deciding)} |"
        )
    tested = [name for name in levers if significance_note(results, name)]
    if tested:
        lines += ["", f"Paired approximate randomization test of dev BLEU against the baseline (`--significance`, sacrebleu, "
                      f"10,000 trials; a gain counts at p < {SIGNIFICANCE_LEVEL}):", ""]
        lines += [f"- {name}: {significance_note(results, name)}" for name in tested]
    retired = [name for name in levers if name in RETIRED]
    if retired:
        lines += [""] + [f"- {name}: {RETIRED[name]}." for name in retired]
    lines += ["", f"Per seed (dev): {' / '.join(LABELS[key] for key in shown)}, best step / final step, seconds to best dev", ""]
    for name, entry in levers.items():
        for r in entry["runs"]:
            cap = " (stopped at the cap)" if r.get("stopped_at_deadline") else ""
            figures = " / ".join("—" if r.get(key) is None else f"{100 * r[key]:.2f}" for key in shown)
            lines.append(f"- {name} seed {r['seed']}: {figures}, step {r['best_step']} / {r['final_step']}, "
                         f"{r['seconds_to_best_dev']:.0f} s{cap}")
    if results.get("test"):
        test = results["test"]
        lines += ["", f"## Test split, read once, for `{test['lever']}` and the baseline (`--test {test['lever']}`)", "",
                  "The same models as the dev rows (model-best of each seed), evaluated on test.", "",
                  f"| lever | seeds |{figure_heads}", "|---|---|" + "---|---|" * len(shown)]
        test_summaries = {name: summarize(runs, shown) for name, runs in test["levers"].items()}
        test_base = test_summaries.get("baseline")
        for name, s in test_summaries.items():
            lines.append(f"| {name} | {s['seeds']} |" + "".join(f" {cell(s, key)} | {delta(s, test_base, key)} |" for key in shown))
    lines += ["", f"Machine: {platform.machine()}, {results.get('threads', 1)} torch thread(s) per command (at most two commands side by side on two cores)", ""]
    return "\n".join(lines)


def save(results: Dict) -> None:
    write_results(f"levers_{results['dataset']}", results, markdown(results))


def run_test(results: Dict, lever: str, paths: Dict[str, Path], threads: int) -> None:
    if results.get("test"):
        raise SystemExit(f"test was already read for {results['test']['lever']!r}: the rule is once")
    test = {"lever": lever, "read_at": time.strftime("%Y-%m-%d %H:%M"), "levers": {}}
    for name in ("baseline", lever):
        runs = []
        for r in results["levers"][name]["runs"]:
            tag = f"levers_{results['dataset']}_{name}_s{r['seed']}"
            metrics = evaluate(Path(r["model"]), paths["test"], WORK / f"{tag}_test.json", threads)
            speed = {key: value for key, value in metrics.items() if key.endswith("per_second")}
            runs.append(dict({key: metrics.get(key) for key in dataset_metrics(results["dataset"])[0]}, seed=r["seed"], **speed))
        test["levers"][name] = runs
    results["test"] = test
    save(results)


SIGNIFICANCE_LEVEL = 0.05  #: p below which a translator lever's dev BLEU gain counts (one seed: no seed spread)


def run_significance(results: Dict, lever: str, paths: Dict[str, Path]) -> None:
    """The paired randomization test of ``lever``'s dev BLEU against the baseline's, seed by seed."""
    from nlp_rnn.api import load_pipeline, paired_bleu_test, read_gold_docs, target_language

    def translations(model: str, gold) -> List[str]:
        nlp = load_pipeline(ROOT / model)
        return [doc._.translation or "" for doc in nlp.pipe([doc.text for doc in gold])]

    base_runs = {r["seed"]: r for r in results["levers"]["baseline"]["runs"]}
    tests = []
    for run_ in results["levers"][lever]["runs"]:
        base = base_runs.get(run_["seed"])
        if base is None:
            continue
        nlp = load_pipeline(ROOT / base["model"])
        gold = read_gold_docs(nlp, paths["dev"])
        references = [doc.user_data["translation"] for doc in gold]
        target = target_language(nlp.get_pipe(DATASETS[results["dataset"]][3]))
        test = paired_bleu_test(translations(base["model"], gold), translations(run_["model"], gold), references, target)
        tests.append(dict(test, seed=run_["seed"]))
    results.setdefault("significance", {})[lever] = tests
    save(results)


def significance_note(results: Dict, lever: str) -> str:
    """``p = …`` per seed of the lever's paired BLEU test (empty when there is none)."""
    tests = results.get("significance", {}).get(lever, [])
    return "; ".join(f"seed {t['seed']}: {100 * t['bleu_baseline']:.2f} → {100 * t['bleu_system']:.2f}, p = {t['p_value']:.3f}"
                     for t in tests)


def merge_runs(results: Dict, other: Dict) -> None:
    """Add ``other``'s runs that ``results`` lacks (same lever and overrides; a seed and cap not there yet)."""
    if other["dataset"] != results["dataset"]:
        raise SystemExit(f"{other['dataset']!r} results cannot merge into {results['dataset']!r} ones")
    for lever, entry in other["levers"].items():
        mine = results["levers"].setdefault(lever, {"overrides": entry["overrides"], "runs": []})
        if mine["overrides"] != entry["overrides"]:
            raise SystemExit(f"lever {lever!r} has other overrides in the two files")
        have = {(r["seed"], r.get("max_minutes")) for r in mine["runs"]}
        mine["runs"] = sorted(mine["runs"] + [r for r in entry["runs"] if (r["seed"], r.get("max_minutes")) not in have],
                              key=lambda r: r["seed"])
    for key in ("pretraining", "significance"):  # what the other run measured beside its trainings
        if other.get(key) and not results.get(key):
            results[key] = other[key]
    save(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cais", choices=list(DATASETS))
    parser.add_argument("--levers", nargs="+", default=["baseline", "averages"], choices=list(LEVERS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--max-minutes", type=float, default=None, help="cap each training (nlp-rnn train --max-minutes)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of every command (default 1)")
    parser.add_argument("--test", metavar="LEVER", default=None, choices=list(LEVERS),
                        help="train nothing: evaluate LEVER's and baseline's dev-run models on test, once")
    parser.add_argument("--merge", metavar="JSON", default=None,
                        help="train nothing: add the runs of another levers_DATASET.json (a run in another worktree) "
                             "that this one lacks, and rewrite the table")
    parser.add_argument("--significance", metavar="LEVER", default=None, choices=list(LEVERS),
                        help="train nothing: paired randomization test of LEVER's dev BLEU against the baseline's (translators)")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    lang, fmt, config, component, *splits = DATASETS[args.dataset]
    paths = convert_splits(args.dataset, lang, fmt, splits, data_dir(args.data_dir))
    results = load_results(args.dataset)
    results.update(config=config, threads=args.threads)
    if args.merge:
        merge_runs(results, json.loads(Path(args.merge).read_text(encoding="utf8")))
        return
    if args.test:
        run_test(results, args.test, paths, args.threads)
        return
    if args.significance:
        run_significance(results, args.significance, paths)
        return
    needs_encoder = any(PRETRAINED_ENCODER in LEVERS[lever].values() for lever in args.levers)
    encoder = pretrained_encoder(args.dataset, config, paths["train"], results, args.threads) if needs_encoder else None
    overrides = {lever: resolve(lever, component, results, encoder) for lever in args.levers}
    for lever in args.levers:
        entry = results["levers"].setdefault(lever, {"overrides": overrides[lever], "runs": []})
        if entry["overrides"] != overrides[lever]:  # the lever was redefined: its old runs measure something else
            entry.update(overrides=overrides[lever], runs=[])
    for seed in args.seeds:  # seed-major, so a cut run leaves every lever with the same seeds
        for lever in args.levers:
            entry = results["levers"][lever]
            if any(r["seed"] == seed and r.get("max_minutes") == args.max_minutes for r in entry["runs"]):
                continue
            record = train_lever(args.dataset, config, lever, overrides[lever], seed, paths, args.max_minutes, args.threads)
            entry["runs"] = sorted([r for r in entry["runs"] if r["seed"] != seed] + [record], key=lambda r: r["seed"])
            save(results)
    save(results)  # the table again, also when every run was already there


if __name__ == "__main__":
    main()
