"""benchmarks/tune.py: grid expansion, the pick over seeds, rendering from the JSON, resuming,
and that only train / dev are ever converted or passed. The end-to-end test trains a tiny
intent_en model three times (4 steps each) on the sample data in data/en/."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import spacy

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import tune  # noqa: E402
import tuning_data  # noqa: E402
import tuning_grid  # noqa: E402
import tuning_pick  # noqa: E402
import tuning_report  # noqa: E402

TUNE = ROOT / "benchmarks" / "tune.py"


def grid_file(tmp_path: Path, grids: dict) -> Path:
    path = tmp_path / "grids.json"
    path.write_text(json.dumps(grids))
    return path


def run_record(settings: dict, seed: int, score: float, dataset: str = "d") -> dict:
    return {"settings": settings, "seed": seed, "dataset": dataset, "max_minutes": None, "score": score,
            "figures": {"intent_acc": score}, "best_step": 4, "final_step": 4, "train_seconds": 1.0,
            "stopped_at_deadline": False}


# --- grids ------------------------------------------------------------------------------------

def test_points_are_the_cartesian_product_of_the_axes_on_top_of_the_base(tmp_path):
    path = grid_file(tmp_path, {"intent_en": {"g": {"base": {"training.max_steps": 10},
                                                    "axes": {"a.x": [1, 2], "a.y": ["p", "q", "r"]}}}})
    points = tuning_grid.expand(tuning_grid.load_grid(path, "intent_en", "g"))
    assert len(points) == 6
    assert points[0] == {"training.max_steps": 10, "a.x": 1, "a.y": "p"}
    assert points[-1] == {"training.max_steps": 10, "a.x": 2, "a.y": "r"}
    assert len({json.dumps(p, sort_keys=True) for p in points}) == 6


@pytest.mark.parametrize("grid, message", [
    ({"base": {"paths.dev": "test.spacy"}, "axes": {}}, "may not be tuned"),
    ({"base": {}, "axes": {"system.seed": [1, 2]}}, "may not be tuned"),
    ({"base": {"a.x": 1}, "axes": {"a.x": [1, 2]}}, "both in base and an axis"),
    ({"base": {}, "axes": {"a.x": []}}, "non-empty list"),
    ({"base": {}, "axis": {}}, "a grid is"),
])
def test_bad_grids_fail_naming_the_file_and_grid(tmp_path, grid, message):
    path = grid_file(tmp_path, {"intent_en": {"g": grid}})
    with pytest.raises(tuning_grid.GridError, match=message) as error:
        tuning_grid.load_grid(path, "intent_en", "g")
    assert str(path) in str(error.value) and "intent_en.g" in str(error.value)
    with pytest.raises(tuning_grid.GridError, match="no grid 'nope'"):
        tuning_grid.load_grid(path, "intent_en", "nope")


def test_every_config_has_a_default_grid_and_no_committed_grid_is_over_six_points():
    grids = json.loads(tuning_grid.GRIDS.read_text())
    assert set(grids) == set(tuning_data.CONFIGS)
    for config, named in grids.items():
        assert "default" in named, config
        pipe = tuning_data.CONFIGS[config][0]
        for name in named:
            points = tuning_grid.expand(tuning_grid.load_grid(tuning_grid.GRIDS, config, name))
            assert 2 <= len(points) <= tuning_grid.MAX_POINTS, (config, name)
            for key in points[0]:
                assert key.startswith((f"components.{pipe}.model.", "training.")), (config, name, key)


@pytest.mark.parametrize("config", sorted(tuning_data.CONFIGS))
def test_committed_grid_keys_are_accepted_by_their_config(config):
    path = ROOT / "pipelines" / f"{config}.cfg"
    if not path.exists():
        pytest.skip(f"{path.name} does not exist yet")
    pipe = tuning_data.CONFIGS[config][0]
    if "encoder" not in spacy.util.load_config(path, interpolate=False)["components"][pipe]["model"]:
        pytest.skip(f"{path.name} has no [components.{pipe}.model.encoder] block yet (the grids use it)")
    grids = json.loads(tuning_grid.GRIDS.read_text())[config]
    points = [p for name in grids for p in tuning_grid.expand(tuning_grid.load_grid(tuning_grid.GRIDS, config, name))]
    assert tuning_grid.override_problems(path, points) == []


def test_an_unknown_override_is_reported_before_any_training():
    points = [{"components.rnn_intent.model.hiden_size": 8}]
    problems = tuning_grid.override_problems(ROOT / "pipelines" / "intent_en.cfg", points)
    assert len(problems) == 1 and "hiden_size" in problems[0] and "intent_en.cfg" in problems[0]


# --- the pick ---------------------------------------------------------------------------------

A, B, C = {"x": 1}, {"x": 2}, {"x": 3}


def test_the_pick_is_the_best_mean_over_seeds_and_ties_go_to_grid_order():
    runs = [run_record(A, 0, 0.75), run_record(A, 1, 0.5), run_record(B, 0, 0.875), run_record(B, 1, 0.25),
            run_record(C, 0, 0.5), run_record(C, 1, 0.75)]
    pick = tuning_pick.choose([A, B, C], runs, ["d"], seeds=[0, 1])
    assert pick["point"] == 0 and pick["score"] == 0.625
    assert [e["point"] for e in pick["ranking"]] == [0, 2, 1]  # C ties A at 0.625 and comes after it; B is best on seed 0 only
    assert pick["finalists"] == [] and "seed(s) 0, 1" in pick["rule"]


def test_the_recheck_seed_can_overturn_the_first_ranking():
    runs = [run_record(A, 0, 0.90), run_record(B, 0, 0.88), run_record(C, 0, 0.70),
            run_record(A, 1, 0.80), run_record(B, 1, 0.87)]
    first = tuning_pick.choose([A, B, C], runs, ["d"], seeds=[0])
    assert first["point"] == 0
    pick = tuning_pick.choose([A, B, C], runs, ["d"], seeds=[0], recheck_seed=1, top=2)
    assert pick["point"] == 1 and pick["score"] == pytest.approx(0.875)
    assert [f["point"] for f in pick["finalists"]] == [1, 0]
    assert pick["finalists"][0]["scores"] == {"0": 0.88, "1": 0.87}
    assert "top 2 re-run on seed 1" in pick["rule"]


def test_a_missing_recheck_run_is_an_error_not_a_silent_pick():
    runs = [run_record(A, 0, 0.90), run_record(B, 0, 0.88), run_record(A, 1, 0.80)]
    with pytest.raises(tuning_grid.GridError, match="recheck seed 1"):
        tuning_pick.choose([A, B], runs, ["d"], seeds=[0], recheck_seed=1, top=2)


def test_with_two_data_sets_the_score_is_their_mean_and_a_point_needs_both():
    runs = [run_record(A, 0, 0.90, "snips"), run_record(A, 0, 0.70, "atis"),
            run_record(B, 0, 0.85, "snips"), run_record(B, 0, 0.80, "atis"), run_record(C, 0, 0.99, "snips")]
    pick = tuning_pick.choose([A, B, C], runs, ["snips", "atis"], seeds=[0])
    assert pick["point"] == 1 and pick["score"] == pytest.approx(0.825)
    assert [e["point"] for e in pick["ranking"]] == [1, 0]  # C lacks atis


def test_render_reads_only_the_json_and_marks_the_pick():
    runs = [run_record(A, 0, 0.90), run_record(B, 0, 0.88), run_record(A, 1, 0.80), run_record(B, 1, 0.87),
            run_record(C, 0, 0.5)]
    pick = tuning_pick.choose([A, B], runs, ["d"], seeds=[0], recheck_seed=1, top=2)
    pick.update(grid="g", grid_spec={"base": {}, "axes": {"x": [1, 2]}}, invocation="python benchmarks/tune.py intent_en")
    results = {"config": "intent_en", "config_file": "pipelines/intent_en.cfg",
               "data": {"d": {"train": "t.spacy", "dev": "v.spacy", "origin": "t → v", "dev_carved": False}},
               "environment": {"OMP_NUM_THREADS": "1"}, "runs": runs, "pick": pick}
    md = tuning_report.render(json.loads(json.dumps(results)))
    assert "**Pick: point 1**" in md and "| **1** | 2 | 88.00 | 87.00 | 88.00 | 87.50 |" in md
    assert "no test split" in md and pick["rule"] in md
    assert "Other runs" in md and "x=3" in md  # C is not in this grid


# --- data: train and dev only ---------------------------------------------------------------

def test_named_data_sets_convert_only_train_and_dev(monkeypatch, tmp_path):
    calls = []

    def fake_convert_splits(name, lang, fmt, splits, root):
        calls.append(list(splits))
        return {split: tmp_path / f"{name}.{split}.spacy" for split, _ in zip(("train", "dev", "test"), splits)}

    monkeypatch.setattr(tuning_data, "convert_splits", fake_convert_splits)
    for config, (_pipe, names) in tuning_data.CONFIGS.items():
        data = tuning_data.named_data(config, tmp_path)
        assert list(data) == names
        assert all(set(d) == {"train", "dev", "origin", "dev_carved"} for d in data.values())
    assert calls and all(len(splits) == 2 and not any("test" in s for s in splits) for splits in calls)
    assert len(tuning_data.named_data("ner_en", tmp_path)) == 2


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """data/en train and dev converted with nlp-rnn convert (no test split)."""
    from typer.testing import CliRunner

    from nlp_rnn.cli import app

    tmp = tmp_path_factory.mktemp("tune_data")
    for split in ("train", "dev"):
        result = CliRunner().invoke(app, ["convert", str(ROOT / "data" / "en" / f"{split}.jsonl"), str(tmp / f"{split}.spacy"),
                                          "--format", "jsonl", "--lang", "en"])
        assert result.exit_code == 0, result.output
    return tmp


def test_a_dev_split_carved_from_train_is_fixed_and_disjoint(sample, tmp_path):
    from spacy.tokens import DocBin

    first = tuning_data.carve_dev(sample / "train.spacy", tmp_path / "a", "train")
    second = tuning_data.carve_dev(sample / "train.spacy", tmp_path / "b", "train")
    texts = {name: {split: [d.text for d in DocBin().from_disk(p).get_docs(spacy.blank("en").vocab)]
                    for split, p in paths.items()} for name, paths in (("a", first), ("b", second))}
    assert texts["a"] == texts["b"]
    assert len(texts["a"]["dev"]) == 32 and len(texts["a"]["train"]) == 288
    all_docs = list(DocBin().from_disk(sample / "train.spacy").get_docs(spacy.blank("en").vocab))
    assert sorted(texts["a"]["dev"] + texts["a"]["train"]) == sorted(d.text for d in all_docs)
    assert texts["a"]["dev"] != [d.text for d in all_docs[:32]]  # shuffled, not the head of the file


def test_a_file_that_looks_like_a_test_split_is_refused(sample, tmp_path):
    test_file = tmp_path / "test.spacy"
    test_file.write_bytes((sample / "dev.spacy").read_bytes())
    with pytest.raises(tuning_grid.GridError, match="only train and dev"):
        tuning_data.given_data(sample / "train.spacy", test_file, tmp_path)


# --- end to end ---------------------------------------------------------------------------------

def tiny_grid(tmp_path: Path) -> Path:
    """Two learning rates on a tiny intent_en model, 4 steps (evaluated at 2 and 4)."""
    model = spacy.util.load_config(ROOT / "pipelines" / "intent_en.cfg", interpolate=False)["components"]["rnn_intent"]["model"]
    encoder = "components.rnn_intent.model" + (".encoder" if "encoder" in model else "")
    base = {f"{encoder}.hidden_size": 8, "training.max_steps": 4, "training.eval_frequency": 2,
            "training.batcher.size": 16, "training.optimizer.learn_rate.warmup_steps": 1}
    return grid_file(tmp_path, {"intent_en": {"tiny": {"base": base, "axes": {
        "training.optimizer.learn_rate.initial_rate": [0.0001, 0.03]}}}})


def tune_cli(*args) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, TUNE, *map(str, args)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_tune_runs_the_grid_rechecks_resumes_and_renders_from_the_json(sample, tmp_path):
    (sample / "test.spacy").write_text("never read")
    options = ["intent_en", "--grid", "tiny", "--grids", tiny_grid(tmp_path), "--train", sample / "train.spacy",
               "--dev", sample / "dev.spacy", "--seeds", "0", "--recheck-seed", "1", "--top", "1",
               "--results-dir", tmp_path / "results", "--work-dir", tmp_path / "work"]
    tune_cli(*options)
    path = tmp_path / "results" / "tune_intent_en.json"
    results = json.loads(path.read_text())
    runs = results["runs"]
    assert [(r["seed"], r["settings"]["training.optimizer.learn_rate.initial_rate"]) for r in runs][:2] == [(0, 0.0001), (0, 0.03)]
    assert len(runs) == 3 and runs[2]["seed"] == 1
    for run in runs:
        assert f"--paths.train {sample / 'train.spacy'} --paths.dev {sample / 'dev.spacy'}" in run["command"]
        assert "test.spacy" not in run["command"]
        assert run["best_step"] in (2, 4) and 0 <= run["score"] <= 1 and "intent_acc" in run["figures"]
        assert run["command"].startswith("nlp-rnn train pipelines/intent_en.cfg ")
    assert results["data"]["given"]["dev"].endswith("dev.spacy") and results["splits_read"] == ["train", "dev"]
    pick = results["pick"]
    points = tuning_grid.expand(tuning_grid.load_grid(tmp_path / "grids.json", "intent_en", "tiny"))
    assert pick == {**tuning_pick.choose(points, runs, ["given"], [0], 1, 1), "grid": "tiny",
                    "grid_spec": tuning_grid.load_grid(tmp_path / "grids.json", "intent_en", "tiny"), "invocation": pick["invocation"]}
    assert runs[2]["settings"] == points[pick["ranking"][0]["point"]]  # the recheck ran the best of seed 0
    md = path.with_suffix(".md")
    assert md.read_text() == tuning_report.render(results)
    assert not any((tmp_path / "work" / "models" / "intent_en").iterdir())  # models removed after scoring

    again = tune_cli(*options)  # resumes: everything is in the JSON already
    assert again.stdout.count("skip (in tune_intent_en.json)") == 3 and "$ " not in again.stdout
    assert json.loads(path.read_text())["runs"] == runs

    md.unlink()
    tune_cli("intent_en", "--only-render", "--results-dir", tmp_path / "results")
    assert md.read_text() == tuning_report.render(results)


def test_resuming_on_other_data_is_refused(tmp_path):
    data = {"d": {"train": tmp_path / "a.spacy", "dev": tmp_path / "b.spacy", "origin": "a → b", "dev_carved": False}}
    path = tmp_path / "tune_intent_en.json"
    tune.save(path, tune.load_results(path, "intent_en", data))
    assert tune.load_results(path, "intent_en", data)["runs"] == []
    other = {"d": {**data["d"], "dev": tmp_path / "c.spacy"}}
    with pytest.raises(tuning_grid.GridError, match="runs on other data"):
        tune.load_results(path, "intent_en", other)
