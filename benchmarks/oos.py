"""Out-of-scope benchmark: BANKING77 under the open-intent protocol, calibration, rejection cost.

    python benchmarks/oos.py [--shares 0.75 0.5 0.25] [--seeds 0 1 2] [--steps 1500] [--parts open75 ece explicit explicit_pool open throughput mixup]

- **open** (Zhang, Xu & Lin 2021 protocol, see ../shared/data/banking77/PROVENANCE.md): for each
  share of known intents and each seed, the known intents are drawn with
  ``random.Random(seed).sample`` over the sorted intent names; one rnn_intent model is trained
  (``nlp-rnn train``) on the known intents' rows of train_split.csv, with dev.csv's known rows as
  dev; the temperature and the rejection threshold are chosen on that dev set (no out-of-scope dev
  rows exist in this protocol, so the threshold keeps ``oos.in_scope_share`` = 0.95 of the
  in-scope dev docs), the class Gaussians on the training rows; then every score (msp, energy,
  mahalanobis) is measured on all of test.csv (unknown intents = out of scope) with the same
  model. Peer: spaCy's ``textcat`` (``spacy init config --pipeline textcat``) trained on the same
  data in the same run, rejecting by its maximum probability with a threshold chosen the same way.
- **explicit** (out-of-scope training examples; seed 0, 75% known): of the 19 unknown intents, 9
  (drawn with ``random.Random(100)``) give their train/dev rows as out-of-scope examples (all cats
  0: trained towards the uniform distribution; the threshold is then the best dev macro F1 over
  known + open); the other 10 are held out, and test = known + held-out intents' test rows. The
  in-scope-only model of the same draw is scored on the same test rows for comparison.
- **explicit_pool** (CLINC150-like; seed 0, 75% known): the train/dev rows of all 19 unknown
  intents are out-of-scope examples and their test rows the out-of-scope test docs, so the test's
  out-of-scope queries come from the pool the training examples were drawn from.
- **ece**: expected calibration error (15 bins) on test before / after temperature scaling for
  SNIPS (all intents) and BANKING77 (all 77 intents).
- **mixup** (75% known, ``--seeds`` draws): the same draw trained twice with the current code and
  config, without and with ``oos.mixup_outliers`` (synthetic outliers mixed from two in-scope docs of
  different intents, trained towards uniform; weight ``MIXUP_WEIGHT`` = 0.5, Hendrycks et al.'s
  outlier-exposure weight, not tuned: the protocol has no out-of-scope dev rows to tune it on),
  both scored with every score as in **open**.
- **throughput**: nlp.pipe words/s on the test texts with ``oos.score`` none / msp / energy /
  mahalanobis (same model, same minutes).

Writes benchmarks/results/oos.json and oos.md after every finished unit, so a cut run still
leaves its figures. Training here uses a lighter encoder than pipelines/intent_en.cfg (hidden
128, no character CNN, ``--steps`` updates) so that one model per draw fits a 2-core budget; the
overrides are recorded in the JSON.
"""

import argparse
import copy
import csv
import json
import random
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from common import RESULTS, WORK, cli, data_dir, run_until, spacy_cli, spacy_default_config, write_results

OOS_WORK = WORK / "oos"
SCORES = ("msp", "energy", "mahalanobis", "msp_mahalanobis")
IN_SCOPE_SHARE = 0.95
MAX_IN_SCOPE_LOSS = 0.01
# threshold rules (settings of the component's oos block) when dev has no out-of-scope docs
RULES = {"share": {"in_scope_share": IN_SCOPE_SHARE, "max_in_scope_loss": None},
         "loss": {"in_scope_share": None, "max_in_scope_loss": MAX_IN_SCOPE_LOSS}}
RULE_NAMES = {"share": "keeps 95% of in-scope dev docs", "loss": "≤ 1 point in-scope dev accuracy lost"}
SUFFIX = {"share": "", "loss": "_loss"}
DEV_OOS_INTENTS = 9  # unknown intents whose dev rows stand in for out-of-scope dev docs when picking a score
MIXUP_WEIGHT = 0.5
LIGHT = {
    "components.rnn_intent.model.encoder.hidden_size": "128",
    "components.rnn_intent.model.encoder.features": '["NORM","PREFIX","SUFFIX","SHAPE"]',
    "components.rnn_intent.model.encoder.feature_widths": "[128,32,32,16]",
    "training.eval_frequency": "250",
    "training.logger.progress_bar": "false",
}
TARGETS = {"open_f1_gain_over_msp": 0.05, "in_scope_accuracy_loss": 0.01, "ece_after": 0.03, "throughput_cost": 0.10}


def read_rows(path: Path) -> List[tuple]:
    with path.open(newline="", encoding="utf8") as handle:
        return [(row["text"], row["category"]) for row in csv.DictReader(handle)]


def banking77(root: Path):
    """((train, dev, test) rows of BANKING77's train_split / dev / test CSVs, sorted intent names)."""
    bank = root / "banking77"
    rows = tuple(read_rows(bank / name) for name in ("train_split.csv", "dev.csv", "test.csv"))
    return rows, sorted({label for _, label in rows[0]})


def draw_known(intents: Sequence[str], share: float, seed: int) -> List[str]:
    """The known intents of one draw: ``round(share · n)`` sampled with ``random.Random(seed)``."""
    return sorted(random.Random(seed).sample(sorted(intents), round(share * len(intents))))


def write_docbin(rows, known: Sequence[str], path: Path, keep=lambda label: True) -> Path:
    """Rows (text, intent) → DocBin; intents outside ``known`` get all-zero cats (out of scope)."""
    from spacy.tokens import DocBin

    from nlp_rnn.api import blank_pipeline

    nlp = blank_pipeline("en")
    docbin = DocBin()
    for text, label in rows:
        if keep(label):
            doc = nlp.make_doc(text)
            doc.cats = {k: float(k == label) for k in known}
            docbin.add(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(path)
    return path


def train(kind: str, out_dir: Path, train_path: Path, dev_path: Path, steps: int, log: Path, minutes: Optional[float] = None,
          extra: Sequence[str] = ()) -> Dict:
    """Train ``ours`` (nlp-rnn train, light overrides) or ``textcat`` (spacy train); reuse a
    model-best that a previous run of the same unit left (``training.json`` present)."""
    stamp = out_dir / "training.json"
    if stamp.exists() and (out_dir / "model-best").exists():
        return json.loads(stamp.read_text())
    if kind == "ours":
        command = cli("train", Path("pipelines/intent_en.cfg"), "--output", out_dir, "--paths.train", train_path, "--paths.dev", dev_path,
                      "--training.max_steps", str(steps), "--no-tune-prior", *[x for k, v in LIGHT.items() for x in (f"--{k}", v)], *extra)
    else:
        command = spacy_cli("train", spacy_default_config("en", "textcat"), "--output", out_dir, "--paths.train", train_path, "--paths.dev", dev_path,
                            "--training.logger.progress_bar", "false")
    seconds, stopped = run_until(command, log, minutes)
    info = {"train_seconds": seconds, "stopped_at_deadline": stopped, "trained_at": time.strftime("%Y-%m-%d %H:%M")}
    stamp.write_text(json.dumps(info))
    return info


def gold_sets(nlp, path: Path):
    from spacy.tokens import DocBin

    from nlp_rnn.api import cats_to_labels

    docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    return [d.text for d in docs], [cats_to_labels(d.cats, True) for d in docs]


def predicted_sets(docs) -> List[frozenset]:
    return [frozenset() if d._.out_of_scope else frozenset([max(d.cats, key=d.cats.get)]) for d in docs]


def calibration(docs, gold) -> float:
    from nlp_rnn.api import expected_calibration_error

    rows = [(max(d.cats.values()), max(d.cats, key=d.cats.get) in g) for d, g in zip(docs, gold) if g]
    return expected_calibration_error([c for c, _ in rows], [h for _, h in rows])


def timed_pipe(nlp, texts, repeats: int = 2):
    """(docs, best words/s over ``repeats`` runs of nlp.pipe, batch 256)."""
    best, docs = 0.0, None
    for _ in range(repeats):
        start = time.perf_counter()
        docs = list(nlp.pipe(texts, batch_size=256))
        seconds = time.perf_counter() - start
        best = max(best, sum(len(d) for d in docs) / seconds)
    return docs, best


def score_ours(model_dir: Path, paths: Dict[str, Path], test_path: Path, rule: str = "share") -> Dict:
    """Every score with one model: temperature + Gaussians + threshold fitted on dev / train (the
    threshold by ``rule``, see :data:`RULES`), then OOS metrics on ``test_path``; plus the
    no-rejection row and ECE before / after temperature."""
    from spacy.training import Corpus

    from nlp_rnn.api import load_pipeline, oos_metrics, tune_out_of_scope, uses_gaussians

    nlp = load_pipeline(model_dir)
    pipe = nlp.get_pipe("rnn_intent")
    dev = list(Corpus(str(paths["dev"]))(nlp))
    train_examples = list(Corpus(str(paths["train"]))(nlp))
    texts, gold = gold_sets(nlp, test_path)
    results: Dict = {}
    pipe.cfg["oos"].update(score="none", temperature=1.0, **RULES[rule])
    docs, wps = timed_pipe(nlp, texts, 1)
    results["none"] = dict(oos_metrics(gold, predicted_sets(docs)), ece_before=calibration(docs, gold), words_per_second=wps)
    for method in SCORES:
        pipe.cfg["oos"]["score"] = method
        chosen = tune_out_of_scope(nlp, dev, train_examples if uses_gaussians(method) else None)["rnn_intent"]
        docs, wps = timed_pipe(nlp, texts, 1)
        scores = [d._.oos_score for d in docs]
        results[method] = dict(oos_metrics(gold, predicted_sets(docs), scores), threshold=chosen["threshold"],
                               threshold_method=chosen["method"], temperature=chosen["temperature"], words_per_second=wps)
        if method == "msp":
            results["none"]["ece_after"] = calibration(docs, gold)
            results["none"]["temperature"] = chosen["temperature"]
    return results


def measure_throughput(model_dir: Path, paths: Dict[str, Path], test_path: Path, rounds: int = 3) -> Dict[str, float]:
    """nlp.pipe words/s with each oos.score (fitted as in :func:`score_ours`), the methods
    interleaved round by round so that load from other processes hits them alike; best round."""
    from spacy.training import Corpus

    from nlp_rnn.api import load_pipeline, tune_out_of_scope, uses_gaussians

    nlp = load_pipeline(model_dir)
    pipe = nlp.get_pipe("rnn_intent")
    dev = list(Corpus(str(paths["dev"]))(nlp))
    settings = {"none": copy.deepcopy(dict(pipe.cfg, oos=dict(pipe.cfg["oos"], score="none")))}
    for method in SCORES:
        pipe.cfg["oos"]["score"] = method
        tune_out_of_scope(nlp, dev, list(Corpus(str(paths["train"]))(nlp)) if uses_gaussians(method) else None)
        settings[method] = copy.deepcopy(pipe.cfg)
    texts, _ = gold_sets(nlp, test_path)
    best = {m: 0.0 for m in settings}
    for _ in range(rounds):
        for method, cfg in settings.items():
            pipe.cfg.clear()
            pipe.cfg.update(copy.deepcopy(cfg))
            best[method] = max(best[method], timed_pipe(nlp, texts, 1)[1])
    return best


def score_textcat(model_dir: Path, dev_path: Path, test_path: Path, rule: str = "share") -> Dict:
    """spaCy textcat + a max-probability threshold chosen on dev by ``rule`` (as for ours)."""
    import numpy

    from nlp_rnn.api import choose_threshold, load_pipeline, oos_metrics

    nlp = load_pipeline(model_dir)
    labels = list(nlp.get_pipe("textcat").labels)
    dev_texts, dev_gold = gold_sets(nlp, dev_path)
    dev_probs = numpy.array([[d.cats[k] for k in labels] for d in nlp.pipe(dev_texts, batch_size=256)])
    gold_ids = [labels.index(next(iter(g))) if g else -1 for g in dev_gold]
    choice = choose_threshold(1 - dev_probs.max(1), dev_probs.argmax(1), gold_ids, len(labels), RULES[rule]["in_scope_share"],
                              RULES[rule]["max_in_scope_loss"])
    texts, gold = gold_sets(nlp, test_path)
    docs = list(nlp.pipe(texts, batch_size=256))
    scores = [1 - max(d.cats.values()) for d in docs]
    argmax = [frozenset([max(d.cats, key=d.cats.get)]) for d in docs]
    predicted = [frozenset() if s > choice["threshold"] else a for s, a in zip(scores, argmax)]
    return {"none": oos_metrics(gold, argmax), "msp": dict(oos_metrics(gold, predicted, scores), threshold=choice["threshold"])}


def mean_over(runs: List[Dict], system: str, method: str, key: str) -> Optional[float]:
    values = [r[system][method][key] for r in runs if system in r and method in r[system] and r[system][method].get(key) is not None]
    return sum(values) / len(values) if values else None


def system_names() -> List[str]:
    """Result keys of one draw: ours on test and on dev-with-out-of-scope rows, and the peer on
    test, under each threshold rule (``nlp_rnn``, ``nlp_rnn_dev``, ``spacy_textcat``, then ``…_loss``)."""
    return [f"{system}{SUFFIX[rule]}{part}" for rule in RULES for system, part in (("nlp_rnn", ""), ("nlp_rnn", "_dev"), ("spacy_textcat", ""))]


def describe_system(name: str) -> tuple:
    """(system, threshold rule, data) of a result key."""
    rule = "loss" if "_loss" in name else "share"
    data = "dev (+ out-of-scope dev rows)" if name.endswith("_dev") else "test"
    return ("spacy textcat" if name.startswith("spacy") else "nlp_rnn"), RULE_NAMES[rule], data


def summarise(results: Dict) -> None:
    """Means over the draws of every share, and the target checks."""
    keys = ("accuracy", "macro_f1_open", "oos_f1", "in_scope_accuracy", "oos_auroc", "oos_fpr_at_95_tpr", "oos_recall")
    for share, entry in results["open"].items():
        runs = entry["draws"]
        entry["mean"] = {system: {method: {k: mean_over(runs, system, method, k) for k in keys}
                                  for method in (("none",) + SCORES if system.startswith("nlp_rnn") else ("none", "msp"))}
                         for system in system_names() if any(system in r for r in runs)}
        entry["n_draws"] = len(runs)


def pct(value) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def markdown(results: Dict) -> str:
    lines = ["# Out-of-scope detection, calibration and rejection cost (CPU)", "",
             "BANKING77 open-intent protocol; one nlp_rnn model per draw (light encoder, training steps in the table) scored with every "
             "out-of-scope score. The protocol has no out-of-scope dev rows, so the threshold comes from the in-scope dev docs by one of two "
             f"rules: it keeps 95% of them (`oos.in_scope_share = 0.95`, the default), or it rejects as much as costs at most 1 point of in-scope "
             f"dev accuracy (`oos.max_in_scope_loss = 0.01`). Means over the draws. Peer: spaCy textcat (default config) + max-probability threshold "
             "chosen the same way, same run. Rows on *dev (+ out-of-scope dev rows)* score the same model on dev.csv's known-intent rows plus the "
             f"dev rows of {DEV_OOS_INTENTS} unknown intents (drawn with `random.Random(100)`): the scores are compared there, and the checks below "
             "use the score that is best there, not the best on test.", "",
             "| known | draws | steps | system | threshold | data | score | accuracy | macro F1 (known+open) | open F1 | in-scope acc | AUROC | FPR@95TPR |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for share, entry in results["open"].items():
        for system, methods in entry.get("mean", {}).items():
            label, rule, data = describe_system(system)
            for method, m in methods.items():
                if method == "none" and system.endswith("_dev"):
                    continue
                lines.append(f"| {share} | {entry['n_draws']} | {entry.get('steps', '?')} | {label} | {rule if method != 'none' else '–'} | {data} | {method if method != 'none' else 'no rejection'} | "
                             f"{pct(m['accuracy'])} | {pct(m['macro_f1_open'])} | {pct(m['oos_f1'])} | {pct(m['in_scope_accuracy'])} | {pct(m['oos_auroc'])} | "
                             f"{pct(m['oos_fpr_at_95_tpr'])} |")
    if results.get("checks"):
        lines += ["", "Targets:", ""] + [f"- {k}: {v}" for k, v in results["checks"].items()]
    for key, title in (("explicit", "Explicit out-of-scope training examples, held-out unknown intents on test (75% known, seed 0)"),
                       ("explicit_pool", "Explicit out-of-scope training examples from the test's pool (75% known, seed 0)")):
        if not results.get(key):
            continue
        e = results[key]
        lines += ["", f"## {title}", "", e["description"], "",
                  "| model | score | threshold from | accuracy | macro F1 (known+open) | open F1 | open recall | in-scope acc | AUROC |", "|---|---|---|---|---|---|---|---|---|"]
        for model, methods in e["results"].items():
            for method, m in methods.items():
                lines.append(f"| {model} | {method} | {m.get('threshold_method', '–')} | {pct(m['accuracy'])} | {pct(m['macro_f1_open'])} | {pct(m['oos_f1'])} | "
                             f"{pct(m['oos_recall'])} | {pct(m['in_scope_accuracy'])} | {pct(m.get('oos_auroc'))} |")
    if results.get("mixup", {}).get("draws"):
        lines += mixup_markdown(results["mixup"])
    if results.get("ece"):
        lines += ["", "## Calibration (test, 15-bin ECE, in-scope docs)", "", "| data | temperature (dev NLL) | ECE before | ECE after | accuracy |", "|---|---|---|---|---|"]
        for name, r in results["ece"].items():
            lines.append(f"| {name} | {r['temperature']:.3f} | {pct(r['ece_before'])} | {pct(r['ece_after'])} | {pct(r['accuracy'])} |")
    if results.get("throughput"):
        t = results["throughput"]
        lines += ["", f"## Rejection cost (nlp.pipe, batch 256, BANKING77 test texts; methods interleaved, best of {results.get('throughput_rounds', 3)} rounds)", "", "| oos.score | words/s | cost vs none |", "|---|---|---|"]
        for method, wps in t.items():
            lines.append(f"| {method} | {wps:,.0f} | {100 * (1 - wps / t['none']):+.1f}% |")
    return "\n".join(lines) + "\n"


def save(results: Dict) -> None:
    summarise(results)
    results["checks"] = checks(results)
    write_results("oos", results, markdown(results))


def dev_pick(mean: Dict, rule: str) -> Optional[str]:
    """The score with the best mean open F1 on dev (+ out-of-scope dev rows) under ``rule``."""
    dev = mean.get(f"nlp_rnn{SUFFIX[rule]}_dev")
    if not dev:
        return None
    return max(SCORES, key=lambda m: dev[m]["oos_f1"] if dev[m]["oos_f1"] is not None else -1)


def checks(results: Dict) -> Dict:
    """The issue's targets, per threshold rule, for the score picked on dev."""
    out = {}
    mean_75 = results["open"].get("0.75", {}).get("mean", {})
    for rule in RULES:
        ours = mean_75.get(f"nlp_rnn{SUFFIX[rule]}")
        best = dev_pick(mean_75, rule)
        if ours and best and ours[best]["oos_f1"] is not None:
            out[f"{RULE_NAMES[rule]}: score picked on dev at 75% known"] = best
            out[f"{RULE_NAMES[rule]}: open F1 gain over msp on test (target ≥ {pct(TARGETS['open_f1_gain_over_msp'])} points)"] = pct(ours[best]["oos_f1"] - ours["msp"]["oos_f1"])
            out[f"{RULE_NAMES[rule]}: in-scope accuracy loss vs no rejection on test (target ≤ {pct(TARGETS['in_scope_accuracy_loss'])} point)"] = pct(
                ours["none"]["in_scope_accuracy"] - ours[best]["in_scope_accuracy"])
        for share, e in results["open"].items():
            m = e.get("mean", {})
            system, peer = f"nlp_rnn{SUFFIX[rule]}", f"spacy_textcat{SUFFIX[rule]}"
            pick = dev_pick(m, rule)
            if system in m and peer in m and pick and m[system][pick]["macro_f1_open"] is not None:
                out[f"{RULE_NAMES[rule]}: {share} known: {pick} macro_f1_open − textcat+threshold"] = pct(
                    m[system][pick]["macro_f1_open"] - (m[peer]["msp"]["macro_f1_open"] or 0))
    for name, row in results.get("ece", {}).items():
        out[f"ECE after temperature, {name} test (target ≤ {pct(TARGETS['ece_after'])}%)"] = pct(row["ece_after"])
    speed = results.get("throughput")
    if speed:
        costliest = min((m for m in speed if m != "none"), key=speed.get)
        out[f"largest nlp.pipe cost of rejection (target ≤ {pct(TARGETS['throughput_cost'])}%)"] = (
            f"{pct(1 - speed[costliest] / speed['none'])}% ({costliest})")
    return out


def write_draw(base: Path, known: Sequence[str], rows, oos_train: Sequence[str] = (), oos_test: Optional[Sequence[str]] = None):
    """({"train", "dev"} DocBins, test DocBin) of one draw, written under ``base``; ``rows``:
    (train, dev, test) as from :func:`banking77`. Train and dev keep the known intents' rows plus
    ``oos_train`` intents' rows as out-of-scope docs; test keeps every row, or with ``oos_test``
    the known intents' and those intents' rows."""
    train_rows, dev_rows, test_rows = rows

    def in_train(label: str) -> bool:
        return label in known or label in oos_train

    def in_test(label: str) -> bool:
        return oos_test is None or label in known or label in oos_test

    paths = {"train": write_docbin(train_rows, known, base / "train.spacy", in_train),
             "dev": write_docbin(dev_rows, known, base / "dev.spacy", in_train)}
    return paths, write_docbin(test_rows, known, base / "test.spacy", in_test)


def seed0_model(rows, intents: Sequence[str], steps: int):
    """(model dir, paths, test path) of the 75% seed-0 draw's in-scope model (the open protocol's
    ``k0.75_s0``), trained first when the work folder lacks it."""
    base = OOS_WORK / "k0.75_s0"
    paths, test_path = write_draw(base, draw_known(intents, 0.75, 0), rows)
    train("ours", base / "ours", paths["train"], paths["dev"], steps, base / "train_ours.log")
    return base / "ours" / "model-best", paths, test_path


def throughput_part(root: Path, results: Dict, steps: int, rounds: int) -> None:
    """Rejection cost on the 75% seed-0 draw's model."""
    results["throughput"] = measure_throughput(*seed0_model(*banking77(root), steps), rounds)
    results["throughput_rounds"] = rounds
    save(results)


def open_protocol(root: Path, results: Dict, shares, seeds, steps: int, peer: bool, throughput: bool, peer_minutes: float = 6.0,
                  redo: bool = False) -> None:
    rows, intents = banking77(root)
    for share in shares:
        if redo:  # score again (models that are still there are reused)
            results["open"].pop(f"{share:g}", None)
        entry = results["open"].setdefault(f"{share:g}", {"draws": [], "steps": steps})
        if entry.get("steps") != steps:
            sys.exit(f"oos.json holds {share:g}-share draws trained with {entry.get('steps')} steps: rerun with those, or --redo")
        for seed in seeds:
            if any(r["seed"] == seed for r in entry["draws"]):
                continue
            known = draw_known(intents, share, seed)
            base = OOS_WORK / f"k{share:g}_s{seed}"
            paths, test_path = write_draw(base, known, rows)
            dev_oos = sorted(random.Random(100).sample([i for i in intents if i not in known], DEV_OOS_INTENTS))
            dev_oos_path = write_docbin(rows[1], known, base / "dev_with_oos.spacy", lambda l: l in known or l in dev_oos)
            run = {"seed": seed, "known": known, "dev_oos_intents": dev_oos}
            run["nlp_rnn_training"] = train("ours", base / "ours", paths["train"], paths["dev"], steps, base / "train_ours.log")
            for rule in RULES:
                run[f"nlp_rnn{SUFFIX[rule]}"] = score_ours(base / "ours" / "model-best", paths, test_path, rule)
                run[f"nlp_rnn{SUFFIX[rule]}_dev"] = score_ours(base / "ours" / "model-best", paths, dev_oos_path, rule)
            if throughput and not results.get("throughput"):
                results["throughput"] = measure_throughput(base / "ours" / "model-best", paths, test_path)
            if peer:
                run["textcat_training"] = train("textcat", base / "textcat", paths["train"], paths["dev"], steps, base / "train_textcat.log", minutes=peer_minutes)
                for rule in RULES:
                    run[f"spacy_textcat{SUFFIX[rule]}"] = score_textcat(base / "textcat" / "model-best", paths["dev"], test_path, rule)
            entry["draws"].append(run)
            save(results)
            print(f"[{time.strftime('%H:%M:%S')}] share {share} seed {seed} done", flush=True)


def mixup_comparison(root: Path, results: Dict, seeds, steps: int) -> None:
    """75% known: per draw, the plain model and one trained with ``oos.mixup_outliers``, same run."""
    rows, intents = banking77(root)
    entry = results.setdefault("mixup", {"weight": MIXUP_WEIGHT, "steps": steps, "draws": []})
    if entry["steps"] != steps or entry["weight"] != MIXUP_WEIGHT:
        sys.exit(f"oos.json holds mixup draws with {entry['steps']} steps, weight {entry['weight']}: rerun with those or --fresh")
    for seed in seeds:
        if any(r["seed"] == seed for r in entry["draws"]):
            continue
        known = draw_known(intents, 0.75, seed)
        base = OOS_WORK / f"mixup_k0.75_s{seed}"
        paths, test_path = write_draw(base, known, rows)
        run = {"seed": seed}
        for system, extra in (("plain", ()), ("mixup", ("--components.rnn_intent.oos.mixup_outliers", str(MIXUP_WEIGHT)))):
            run[f"{system}_training"] = train("ours", base / system, paths["train"], paths["dev"], steps, base / f"train_{system}.log", extra=extra)
            run[system] = score_ours(base / system / "model-best", paths, test_path)
        entry["draws"].append(run)
        save(results)
        print(f"[{time.strftime('%H:%M:%S')}] mixup seed {seed} done", flush=True)


def mixup_markdown(entry: Dict) -> List[str]:
    keys = ("accuracy", "macro_f1_open", "oos_f1", "in_scope_accuracy", "oos_auroc")
    lines = ["", f"## Synthetic outliers (`oos.mixup_outliers = {entry['weight']:g}`), 75% known, {len(entry['draws'])} draw(s), same run", "",
             f"Both models: the current code and config with the light overrides above, {entry['steps']} steps; plain = `oos.mixup_outliers = 0`. "
             "Threshold as above (95% of in-scope dev docs kept).", "",
             "| model | score | accuracy | macro F1 (known+open) | open F1 | in-scope acc | AUROC |", "|---|---|---|---|---|---|---|"]
    for system in ("plain", "mixup"):
        for method in ("none",) + SCORES:
            values = {k: [r[system][method][k] for r in entry["draws"] if r[system].get(method, {}).get(k) is not None] for k in keys}
            cells = [pct(sum(v) / len(v)) if v else "–" for v in values.values()]
            lines.append(f"| {system} | {method if method != 'none' else 'no rejection'} | " + " | ".join(cells) + " |")
    return lines


def score_with_oos_examples(base: Path, rows, intents: Sequence[str], known: Sequence[str], oos_train: Sequence[str],
                            oos_test: Sequence[str], steps: int):
    """Train on the known intents plus ``oos_train`` intents' rows as out-of-scope examples (all
    cats 0) and score on test = known + ``oos_test`` intents' rows; the in-scope-only model of the
    75% seed-0 draw (:func:`seed0_model`) is scored on the same test rows.
    Returns (training info, {model: {score: metrics}})."""
    paths, test_path = write_draw(base, known, rows, oos_train, oos_test)
    info = train("ours", base / "ours", paths["train"], paths["dev"], steps, base / "train_ours.log")
    plain_model, plain_paths, _ = seed0_model(rows, intents, steps)
    return info, {"with OOS examples (uniform target)": score_ours(base / "ours" / "model-best", paths, test_path),
                  "in-scope only (same draw)": score_ours(plain_model, plain_paths, test_path)}


def explicit_split(root: Path, results: Dict, steps: int) -> None:
    """Unknown intents split in two: 9 give out-of-scope training/dev examples, 10 are held out."""
    rows, intents = banking77(root)
    known = draw_known(intents, 0.75, 0)
    unknown = [i for i in intents if i not in known]
    oos_train = sorted(random.Random(100).sample(unknown, 9))
    held_out = [i for i in unknown if i not in oos_train]
    info, out = score_with_oos_examples(OOS_WORK / "explicit_k0.75_s0", rows, intents, known, oos_train, held_out, steps)
    results["explicit"] = {
        "description": (f"58 known intents (seed 0); {len(oos_train)} unknown intents give out-of-scope train/dev rows "
                        f"({', '.join(oos_train)}); test = known + {len(held_out)} held-out unknown intents' rows. The OOS-example model's "
                        "threshold is the best dev macro F1 (known + open); the in-scope-only model keeps 95% of its in-scope dev docs."),
        "oos_train_intents": oos_train, "held_out_intents": held_out, "training": info, "results": out,
    }
    save(results)


def explicit_pool(root: Path, results: Dict, steps: int) -> None:
    """CLINC150-like: the out-of-scope train, dev and test rows come from one pool (all 19
    unknown intents of the 75% seed-0 draw), so test out-of-scope queries resemble the training ones."""
    rows, intents = banking77(root)
    known = draw_known(intents, 0.75, 0)
    unknown = [i for i in intents if i not in known]
    info, out = score_with_oos_examples(OOS_WORK / "explicit_pool_k0.75_s0", rows, intents, known, unknown, unknown, steps)
    results["explicit_pool"] = {
        "description": (f"58 known intents (seed 0); the train/dev rows of all {len(unknown)} unknown intents are out-of-scope "
                        "examples and their test rows the out-of-scope test docs (one pool, as in CLINC150). The OOS-example model's "
                        "threshold is the best dev macro F1 (known + open); the in-scope-only model keeps 95% of its in-scope dev docs."),
        "training": info, "results": out,
    }
    save(results)


def ece_runs(root: Path, results: Dict, steps: int, redo: bool = False) -> None:
    """SNIPS and BANKING77 with all intents: ECE on test before / after the dev-fitted temperature."""
    from nlp_rnn.api import cats_to_labels, load_pipeline, tune_out_of_scope
    from spacy.training import Corpus

    rows, intents = banking77(root)
    data = {"banking77": {split: write_docbin(split_rows, intents, OOS_WORK / "b77_all" / f"{split}.spacy")
                          for split, split_rows in zip(("train", "dev", "test"), rows)}}
    snips = OOS_WORK / "snips"
    snips.mkdir(parents=True, exist_ok=True)
    snips_paths = {}
    for split, folder in (("train", "train"), ("dev", "valid"), ("test", "test")):
        out = snips / f"{split}.spacy"
        if not out.exists():
            run_until(cli("convert", root / "snips" / folder, out, "--format", "snips", "--lang", "en"), snips / f"convert_{split}.log")
        snips_paths[split] = out
    data["snips"] = snips_paths
    results.setdefault("ece", {})
    for name, paths in data.items():
        if name in results["ece"] and not redo:
            continue
        base = OOS_WORK / f"ece_{name}"
        info = train("ours", base / "ours", paths["train"], paths["dev"], steps, base / "train_ours.log")
        nlp = load_pipeline(base / "ours" / "model-best")
        pipe = nlp.get_pipe("rnn_intent")
        texts, gold = gold_sets(nlp, paths["test"])
        row = {"training": info}
        for when in ("before", "after"):
            if when == "after":
                pipe.cfg["oos"]["score"] = "none"
                row["temperature"] = tune_out_of_scope(nlp, list(Corpus(str(paths["dev"]))(nlp)))["rnn_intent"]["temperature"]
            else:
                pipe.cfg["oos"]["temperature"] = 1.0
            docs = list(nlp.pipe(texts, batch_size=256))
            row[f"ece_{when}"] = calibration(docs, gold)
            row["accuracy"] = sum(cats_to_labels(d.cats, True) == g for d, g in zip(docs, gold)) / len(docs)
        results["ece"][name] = row
        save(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--shares", type=float, nargs="+", default=[0.75, 0.5, 0.25])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--parts", nargs="+", default=["open75", "ece", "explicit", "explicit_pool", "open"], choices=["open75", "ece", "explicit", "explicit_pool", "open", "throughput", "mixup"],
                        help="in this order: open75 = the 75%% share first; open = the remaining shares; throughput = measure "
                             "the rejection cost again on the 75%% seed-0 model (--rounds rounds)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (methods interleaved; best round kept)")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--peer-minutes", type=float, default=6.0, help="stop each textcat training after this long (its model-best so far is scored)")
    parser.add_argument("--fresh", action="store_true", help="ignore benchmarks/results/oos.json (finished units are otherwise kept)")
    parser.add_argument("--redo", action="store_true", help="score the draws of the shares and the calibration runs again (trained models still in the work folder are reused)")
    args = parser.parse_args()
    root = data_dir(args.data_dir)
    previous = RESULTS / "oos.json"
    results = json.loads(previous.read_text()) if previous.exists() and not args.fresh else {}
    results.setdefault("open", {})
    for entry in results["open"].values():  # draws from before per-share steps were recorded: the settings of their run
        entry.setdefault("steps", results.get("settings", {}).get("steps"))
    if set(args.parts) != {"mixup"}:  # the mixup part records its own settings
        results["settings"] = {"steps": args.steps, "light_overrides": LIGHT, "in_scope_share": IN_SCOPE_SHARE, "seeds": args.seeds,
                               "command": " ".join(sys.argv)}
    for part in args.parts:
        if part == "open75":
            open_protocol(root, results, [s for s in args.shares if s == 0.75], args.seeds, args.steps, not args.skip_peer, True, args.peer_minutes, args.redo)
        elif part == "ece":
            ece_runs(root, results, args.steps, args.redo)
        elif part == "explicit":
            explicit_split(root, results, args.steps)
        elif part == "explicit_pool":
            explicit_pool(root, results, args.steps)
        elif part == "mixup":
            mixup_comparison(root, results, args.seeds, args.steps)
        elif part == "throughput":
            throughput_part(root, results, args.steps, args.rounds)
        else:
            open_protocol(root, results, [s for s in args.shares if s != 0.75], args.seeds, args.steps, not args.skip_peer, False, args.peer_minutes, args.redo)
    save(results)


if __name__ == "__main__":
    main()
