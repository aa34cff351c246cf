"""Exported (ONNX) pipelines against torch, record by record, with out-of-scope rejection on.

    python benchmarks/export_records.py [--sets banking77 snips] [--scores msp energy mahalanobis msp_mahalanobis]
                                        [--snips-minutes 12] [--data-dir ../shared/data]

For each set and out-of-scope score: a copy of the trained pipeline gets the score with ``nlp-rnn
tune-oos MODEL DEV --score S`` (threshold chosen on dev), is exported with ``nlp-rnn export
--format onnx``, and both folders annotate the test texts with ``nlp-rnn annotate`` (the same
command, the same input). The records are compared line by line: intent, ``out_of_scope``, slots
and ranking must be equal; ``confidence`` and ``oos_score`` are compared as numbers (largest
difference reported). A decision that differs is listed with its text.

- ``banking77``: the model of ``benchmarks/oos_auto.py`` (BANKING77 built as CLINC150: 19 held-out
  intents relabelled out of scope; trained with the shipped intent_en.cfg), its test split;
- ``snips``: ``pipelines/intent_en.cfg`` trained here on SNIPS train / dev (``--snips-minutes``
  bounds it: only the records' agreement is measured), its test split.

Writes benchmarks/results/export_records.json and .md.
"""

import argparse
import json
import platform
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List

from common import WORK, cli, convert_splits, data_dir, rel, run, run_until, write_results

SCORES = ("msp", "energy", "mahalanobis", "msp_mahalanobis")
BANKING77 = WORK / "oos_auto"
SNIPS_SPLITS = ("snips/train", "snips/valid", "snips/test")
#: the fields that must be equal in both runtimes' records (scores are compared as numbers)
EXACT_FIELDS = ("intent", "out_of_scope", "slots")
NUMBER_FIELDS = ("confidence", "oos_score")


def banking77_model() -> Dict[str, Path]:
    model = BANKING77 / "model" / "model-best"
    if not model.exists():
        sys.exit(f"{rel(model)} is missing: build it with python benchmarks/oos_auto.py")
    return {"model": model, "dev": BANKING77 / "dev.spacy", "test": BANKING77 / "test.spacy"}


def snips_model(root: Path, minutes: float) -> Dict[str, Path]:
    paths = convert_splits("snips", "en", "snips", SNIPS_SPLITS, root)
    out = WORK / "export_records" / "snips" / "model"
    if not (out / "model-best" / "meta.json").exists():
        run_until(cli("train", "pipelines/intent_en.cfg", "--output", out, "--paths.train", paths["train"],
                      "--paths.dev", paths["dev"], "--max-minutes", minutes, "--training.logger.progress_bar", "false"),
                  WORK / "logs" / "export_records_snips_train.log")
    return {"model": out / "model-best", "dev": paths["dev"], "test": paths["test"]}


def test_texts(test: Path, out: Path) -> int:
    """The test docs' texts as a JSONL input for ``nlp-rnn annotate`` (one ``{"text"}`` per line)."""
    import spacy
    from spacy.tokens import DocBin

    docs = DocBin().from_disk(test).get_docs(spacy.blank("xx").vocab)
    lines = [json.dumps({"text": doc.text}, ensure_ascii=False) for doc in docs]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf8")
    return len(lines)


def read_records(path: Path) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf8").splitlines() if line.strip()]


def compare(torch_records: List[Dict[str, Any]], onnx_records: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Records side by side: how many differ in a decision, the largest score differences, examples."""
    if len(torch_records) != len(onnx_records):
        return {"records": [len(torch_records), len(onnx_records)], "error": "the runs wrote different numbers of records"}
    differing, largest = [], {field: 0.0 for field in NUMBER_FIELDS}
    for a, b in zip(torch_records, onnx_records):
        fields = [field for field in EXACT_FIELDS if a.get(field) != b.get(field)]
        if [r["intent"] for r in a.get("ranking", [])] != [r["intent"] for r in b.get("ranking", [])]:
            fields.append("ranking order")
        for field in NUMBER_FIELDS:
            if isinstance(a.get(field), (int, float)) and isinstance(b.get(field), (int, float)):
                largest[field] = max(largest[field], abs(a[field] - b[field]))
            elif a.get(field) != b.get(field):
                fields.append(field)
        if fields:
            differing.append({"text": a.get("text"), "fields": fields,
                              "torch": {f: a.get(f) for f in (*EXACT_FIELDS, *NUMBER_FIELDS)},
                              "onnx": {f: b.get(f) for f in (*EXACT_FIELDS, *NUMBER_FIELDS)}})
    return {
        "records": len(torch_records), "differing": len(differing), "examples": differing[:5],
        "rejected_torch": sum(bool(r.get("out_of_scope")) for r in torch_records),
        "rejected_onnx": sum(bool(r.get("out_of_scope")) for r in onnx_records),
        "largest_difference": largest,
    }


def one_score(name: str, model: Dict[str, Path], score: str, texts: Path) -> Dict[str, Any]:
    """tune-oos with ``score`` on a copy, export, annotate with both, compare."""
    folder = WORK / "export_records" / name / score
    torch_model, onnx_model = folder / "torch", folder / "onnx"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(model["model"], torch_model)
    logs = WORK / "logs"
    run(cli("tune-oos", torch_model, model["dev"], "--score", score), logs / f"export_records_{name}_{score}_tune_oos.log")
    run(cli("export", torch_model, onnx_model, "--format", "onnx"), logs / f"export_records_{name}_{score}_export.log")
    outputs = {}
    for runtime, path in (("torch", torch_model), ("onnx", onnx_model)):
        outputs[runtime] = folder / f"{runtime}.jsonl"
        run(cli("annotate", path, texts, outputs[runtime], "--no-progress", "--overwrite"),
            logs / f"export_records_{name}_{score}_annotate_{runtime}.log")
    return compare(read_records(outputs["torch"]), read_records(outputs["onnx"]))


def markdown(results: Dict[str, Any]) -> str:
    lines = ["# Exported (ONNX) pipelines against torch, record by record", "",
             f"{results['machine']} · `nlp-rnn annotate` of each set's test texts with the torch pipeline and its "
             "ONNX export, after `nlp-rnn tune-oos MODEL DEV --score S` (threshold chosen on dev).", "",
             "| set | score | records | rejected (torch / onnx) | records that differ | largest confidence difference | largest oos_score difference |",
             "|---|---|---|---|---|---|---|"]
    for name, entry in results["sets"].items():
        for score, row in entry["scores"].items():
            if "error" in row:
                lines.append(f"| {name} | {score} | {row['records']} | — | {row['error']} | — | — |")
                continue
            big = row["largest_difference"]
            lines.append(f"| {name} | {score} | {row['records']:,} | {row['rejected_torch']} / {row['rejected_onnx']} | "
                         f"{row['differing']} | {big['confidence']:.1e} | {big['oos_score']:.1e} |")
    lines.append("")
    for name, entry in results["sets"].items():
        lines.append(f"- {name}: {entry['model']}")
        for score, row in entry["scores"].items():
            for example in row.get("examples", []):
                lines.append(f"  - {score}: {example['text']!r} differs in {', '.join(example['fields'])}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=("banking77", "snips"), default=["banking77", "snips"])
    parser.add_argument("--scores", nargs="+", choices=SCORES, default=list(SCORES))
    parser.add_argument("--snips-minutes", type=float, default=12.0)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    results = {"machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs", "sets": {}}
    for name in args.sets:
        model = banking77_model() if name == "banking77" else snips_model(data_dir(args.data_dir), args.snips_minutes)
        texts = WORK / "export_records" / name / "test_texts.jsonl"
        count = test_texts(model["test"], texts)
        print(f"{name}: {count} test texts, model {rel(model['model'])}", flush=True)
        entry = {"model": rel(model["model"]), "scores": {}}
        for score in args.scores:
            entry["scores"][score] = one_score(name, model, score, texts)
            print(name, score, json.dumps({k: v for k, v in entry["scores"][score].items() if k != "examples"}), flush=True)
        results["sets"][name] = entry
        write_results("export_records", results, markdown(results))


if __name__ == "__main__":
    main()
