"""benchmarks/joint.py --combine: one table from several one-system result files (seeds run in
separate background jobs), later files winning, the seeds of an entry that ran fewer named, and
a clear stop on a missing file."""

import json
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import joint  # noqa: E402


def write(folder, name, datasets):
    (folder / f"{name}.json").write_text(json.dumps({"seeds": [0, 1, 2], "datasets": datasets}))


def entry(f1, seeds=(0, 1, 2)):
    return {"span_f1": f1, "seeds": list(seeds), "spread": {"span_f1": 0.004}, "seconds_to_best_dev": 500.0}


def test_combine_takes_each_system_from_the_last_file_that_has_it(tmp_path, monkeypatch):
    monkeypatch.setattr(joint, "RESULTS", tmp_path)
    write(tmp_path, "ours", {"resume": {"nlp_rnn": entry(0.935)}, "cais": {"nlp_rnn": entry(0.88)}})
    write(tmp_path, "peer", {"resume": {"spacy": entry(0.90)}})
    write(tmp_path, "peer_rerun", {"resume": {"spacy": entry(0.91)}})
    results = joint.combine(["ours", "peer", "peer_rerun"])
    assert list(results["datasets"]) == ["cais", "resume"]  # the drivers' order, not the files'
    assert results["datasets"]["resume"]["nlp_rnn"]["span_f1"] == 0.935
    assert results["datasets"]["resume"]["spacy"]["span_f1"] == 0.91
    assert "spacy" not in results["datasets"]["cais"]
    table = joint.markdown(results)
    assert "| resume | span_f1 | 93.50 ± 0.20 | 91.00 ± 0.20 | ≥ 94.5 |" in table
    assert "ours, peer, peer_rerun" in table


def test_combine_names_the_seeds_of_entries_that_ran_fewer_and_refuses_missing_files(tmp_path, monkeypatch):
    monkeypatch.setattr(joint, "RESULTS", tmp_path)
    write(tmp_path, "ours", {"resume": {"nlp_rnn": entry(0.935)}, "cais": {"nlp_rnn": entry(0.88)}})
    write(tmp_path, "peer", {"resume": {"spacy": {**entry(0.90, seeds=(0,)), "spread": {}}}, "cais": {"spacy": entry(0.85)}})
    results = joint.combine(["ours", "peer"])
    assert results["seeds"] == [0, 1, 2]
    table = joint.markdown(results)
    assert "| resume | span_f1 | 93.50 ± 0.20 | 90.00 | ≥ 94.5 |" in table
    assert "| resume | seeds | [0, 1, 2] | [0] | |" in table
    assert "| cais | seeds |" not in table
    with pytest.raises(SystemExit, match="nowhere.json: no such result file"):
        joint.combine(["ours", "nowhere"])
