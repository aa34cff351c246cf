"""Exported pipelines with out-of-scope rejection, for every score: they decide as the torch
pipeline does, write the ``out_of_scope`` record fields from the first record on (issue 27 item 1),
and run through ``spacy.load``, ``nlp-rnn predict``, ``nlp-rnn annotate`` and the serve app with
torch blocked (issue 24 item 1, issue 27 item 4). The numpy half of out-of-scope scoring and
everything the ONNX components import never import torch, not even inside a function."""

import ast
import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc

pytest.importorskip("onnxruntime")

from test_export_onnx import TEXTS, run_without_torch, tiny_intent, tiny_joint  # noqa: E402
from test_joint_component import JOINT_EN, joint_examples  # noqa: E402

import nlp_rnn  # noqa: E402
from nlp_rnn.export.to_onnx import export_pipeline  # noqa: E402
from nlp_rnn.extensions import install_extensions  # noqa: E402
from nlp_rnn.oos.scores import OOS_SCORES  # noqa: E402
from nlp_rnn.pipeline.out_of_scope import dev_outputs, fit_standardization, tune_out_of_scope  # noqa: E402
from nlp_rnn.prediction import predict_texts  # noqa: E402

PACKAGE = Path(nlp_rnn.__file__).parent
# every score on rnn_intent, and the score with every part (Gaussians, standardization) on rnn_joint
TRAINED = {}  # factory → the torch pipeline trained by the oos_exports fixture
CASES = [("rnn_intent", score) for score in OOS_SCORES if score != "none"] + [("rnn_joint", "msp_mahalanobis")]


def split_threshold(scores):
    """A threshold in the widest gap between the middle half of the scores: about half the texts
    rejected, and no score near it (torch and onnxruntime differ in the 6th digit)."""
    ordered = sorted(scores)
    low, high = len(ordered) // 4, 3 * len(ordered) // 4
    i = max(range(low, high), key=lambda k: ordered[k + 1] - ordered[k])
    return (ordered[i] + ordered[i + 1]) / 2


def fit_for(nlp, factory: str, score: str) -> None:
    """The component's out-of-scope settings fitted as ``nlp-rnn train`` does, then a temperature
    other than the fitted one (fitted on its own training data it hits the 0.05 floor) and a
    threshold that rejects about half of :data:`TEXTS`."""
    pipe = nlp.get_pipe(factory)
    examples = joint_examples(nlp, JOINT_EN)
    pipe.cfg["oos"]["score"] = score
    tune_out_of_scope(nlp, examples, examples)
    pipe.cfg["oos"]["temperature"] = 1.7
    if score == "msp_mahalanobis":
        fit_standardization(pipe, *dev_outputs(pipe, examples, True))
    pipe.cfg["oos"]["threshold"] = split_threshold([doc._.oos_score for doc in nlp.pipe(TEXTS)])


@pytest.fixture(scope="module")
def oos_exports(tmp_path_factory):
    """{case: (exported folder, the torch pipeline's records of TEXTS)} for every case of CASES."""
    root = tmp_path_factory.mktemp("oos_exports")
    TRAINED.update(rnn_intent=tiny_intent({}), rnn_joint=tiny_joint({"use_crf": True}))
    exports = {}
    for factory, score in CASES:
        nlp = TRAINED[factory]
        fit_for(nlp, factory, score)
        out = root / f"{factory}-{score}"
        export_pipeline(nlp, out)
        exports[f"{factory}-{score}"] = (out, list(predict_texts(nlp, TEXTS)))
    return exports


def assert_same_records(expected, got, case):
    """Same decision, intent and slots; scores as close as float32 graphs allow."""
    assert len(expected) == len(got), case
    for a, b in zip(expected, got):
        where = (case, a["text"])
        assert b["out_of_scope"] == a["out_of_scope"] and b["intent"] == a["intent"], (where, a, b)
        assert b["oos_score"] == pytest.approx(a["oos_score"], rel=1e-3, abs=1e-4), where
        assert b["confidence"] == pytest.approx(a["confidence"], abs=1e-4), where
        assert [(s["start"], s["end"], s["label"]) for s in b["slots"]] == [(s["start"], s["end"], s["label"]) for s in a["slots"]], where


def test_every_score_rejects_alike(oos_exports):
    for case, (out, expected) in oos_exports.items():
        assert any(r["out_of_scope"] for r in expected) and not all(r["out_of_scope"] for r in expected), case
        assert_same_records(expected, list(predict_texts(spacy.load(out), TEXTS)), case)


def test_records_of_a_fresh_process_carry_out_of_scope(oos_exports):
    """Issue 27 item 1: the extensions exist once the exported pipeline is loaded, before its first
    doc, so ``predict`` and the server's records keep ``out_of_scope`` (a fresh process has
    no extension yet: removed here, as the torch pipelines of this process installed them)."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from nlp_rnn.cli.app import app
    from nlp_rnn.serving.app import create_app
    from nlp_rnn.serving.settings import ServeSettings

    out, expected = oos_exports["rnn_intent-msp"]
    text = next(r["text"] for r in expected if r["out_of_scope"])
    for name in ("out_of_scope", "oos_score"):
        Doc.remove_extension(name)
    result = CliRunner().invoke(app, ["predict", str(out), text])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output.strip().splitlines()[-1])
    assert record["out_of_scope"] is True and record["intent"] is None
    for name in ("out_of_scope", "oos_score"):
        Doc.remove_extension(name)
    with TestClient(create_app(spacy.load(out), ServeSettings(model=str(out)))) as client:
        parsed = client.post("/parse", json={"texts": [text]}).json()["results"][0]
        rasa = client.post("/model/parse", json={"text": text}).json()
    install_extensions()  # for the rest of the session, whatever happened above
    assert parsed["out_of_scope"] is True and parsed["intent"] is None
    assert rasa["intent"]["name"] == "nlu_fallback"


TORCH_FREE_RUN = """
    import json
    from pathlib import Path
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner
    import nlp_rnn.cli  # registers every command
    from nlp_rnn.cli.app import app
    from nlp_rnn.serving.app import create_app
    from nlp_rnn.serving.settings import ServeSettings
    import spacy

    folders, texts, work = json.loads(sys.argv[1]), json.loads(sys.argv[2]), Path(sys.argv[3])
    lines = [t for t in texts if t.strip()]
    (work / "in.jsonl").write_text("".join(json.dumps({"text": t}) + "\\n" for t in lines))
    runner, got = CliRunner(), {}
    for case, folder in folders.items():
        predicted = runner.invoke(app, ["predict", folder, *texts])
        assert predicted.exit_code == 0, (case, predicted.output, repr(predicted.exception))
        annotated = runner.invoke(app, ["annotate", folder, str(work / "in.jsonl"), str(work / (case + ".jsonl")), "--overwrite"])
        assert annotated.exit_code == 0, (case, annotated.output, repr(annotated.exception))
        with TestClient(create_app(spacy.load(folder), ServeSettings(model=folder))) as client:
            served = client.post("/parse", json={"texts": texts}).json()["results"]
            rasa = [client.post("/model/parse", json={"text": t}).json()["intent"]["name"] for t in texts]
        got[case] = {
            "predict": [json.loads(line) for line in predicted.output.strip().splitlines()],
            "annotate": [json.loads(line) for line in (work / (case + ".jsonl")).read_text().splitlines()],
            "serve": served, "rasa": rasa,
        }
    assert "torch" not in sys.modules
    # where torch is needed: one line from `nlp-rnn` (its main), not a traceback
    import contextlib, io
    from nlp_rnn.cli import main

    def run_main(*argv):
        sys.argv, out = ["nlp-rnn", *argv], io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                main()
            except SystemExit as exit:
                return exit.code, out.getvalue()
        return 0, out.getvalue()

    torch_folder, config = sys.argv[4:6]
    got["needs torch"] = [run_main("predict", torch_folder, "hello"), run_main("train", config, "--output", str(work / "t"))]
    print(json.dumps(got))
    """


def test_predict_annotate_and_serve_without_torch(oos_exports, tmp_path):
    """Every export through predict, annotate, /parse and /model/parse with torch blocked, as torch
    decides; a torch pipeline (predict) and training end with one line naming nlp-rnn[train]."""
    folders = {case: str(out) for case, (out, _) in oos_exports.items()}
    torch_folder = tmp_path / "torch_intent"
    TRAINED["rnn_intent"].to_disk(torch_folder)
    config = Path(__file__).resolve().parents[1] / "pipelines" / "intent_en.cfg"
    result = run_without_torch(TORCH_FREE_RUN, json.dumps(folders), json.dumps(TEXTS), str(tmp_path), str(torch_folder), str(config))
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    for code, output in got.pop("needs torch"):
        assert code == 1 and "pip install 'nlp-rnn[train]'" in output and "Traceback" not in output, output
    for case, (_, expected) in oos_exports.items():
        assert_same_records(expected, got[case]["predict"], case + " predict")
        assert_same_records(expected, got[case]["serve"], case + " serve")
        assert_same_records([r for r in expected if r["text"].strip()], got[case]["annotate"], case + " annotate")
        assert got[case]["rasa"] == ["nlu_fallback" if r["out_of_scope"] else r["intent"] for r in expected], case


def imported_modules(path: Path):
    """(absolute module names imported anywhere in the file, in functions too) for a module of nlp_rnn."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0] + "._"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level)[0] + ("." + node.module if node.module else "") if node.level else node.module
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def module_file(name: str):
    parts = name.split(".")
    for candidate in (PACKAGE.parent.joinpath(*parts).with_suffix(".py"), PACKAGE.parent.joinpath(*parts, "__init__.py")):
        if candidate.exists():
            return candidate
    return None


def torch_importers(start):
    """(modules reached, offenders): the closure of nlp_rnn modules that ``start`` imports (lazy
    imports included, and each package's ``__init__``), and each import of torch in it."""
    seen, todo, offenders = set(), list(start), []
    while todo:
        name = todo.pop()
        path = module_file(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        parents = [".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 1)]
        for imported in list(imported_modules(path)) + parents:
            if imported.split(".")[0] == "torch":
                offenders.append(f"{name} imports {imported}")
            elif imported.startswith("nlp_rnn"):
                todo.append(imported)
    return seen, offenders


def test_onnx_runtime_and_oos_never_import_torch():
    """The closure of nlp_rnn modules that the ONNX components and nlp_rnn.oos import holds no
    torch import."""
    start = ["nlp_rnn.export.onnx_components"] + [f"nlp_rnn.oos.{p.stem}" for p in (PACKAGE / "oos").glob("*.py")]
    seen, offenders = torch_importers(start)
    assert "nlp_rnn.oos.marking" in seen and "nlp_rnn.extensions" in seen
    assert not offenders, offenders
