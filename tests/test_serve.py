"""nlp-rnn serve: Rasa-compatible parse, batch records, JSON 4xx errors, bearer token,
micro-batching, and one real uvicorn process on a free local port."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
from fastapi.testclient import TestClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from test_joint_component import JOINT_EN, SMALL, joint_examples, train  # noqa: E402

from nlp_rnn import __version__  # noqa: E402
from nlp_rnn.cli.app import app as cli_app  # noqa: E402
from nlp_rnn.prediction import predict_texts  # noqa: E402
from nlp_rnn.serving.app import create_app  # noqa: E402
from nlp_rnn.serving.batcher import MicroBatcher  # noqa: E402
from nlp_rnn.serving.records import rasa_parse_result  # noqa: E402
from nlp_rnn.serving.settings import ServeSettings  # noqa: E402
from nlp_rnn.architectures.encoder_config import nest_encoder_settings

TOKEN_ENV = "NLP_RNN_TEST_TOKEN"


@Language.component("explode_on_boom")
def explode_on_boom(doc):
    if doc.text == "boom":
        raise RuntimeError("the model cannot handle this text")
    return doc


@Language.component("reverse_translator")
def reverse_translator(doc):
    doc._.translation = doc.text[::-1]
    return doc


@pytest.fixture(scope="module")
def joint_nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_joint", config={"model": nest_encoder_settings(dict(SMALL, use_crf=True))})
    return train(nlp, joint_examples(nlp, JOINT_EN), 60)


@pytest.fixture(scope="module")
def client(joint_nlp):
    settings = ServeSettings(model="memory", max_text_length=50, max_batch_texts=4)
    with TestClient(create_app(joint_nlp, settings)) as client:
        yield client


def test_model_parse_speaks_rasa(client, joint_nlp):
    text = "wake me up at 7 am tomorrow"
    response = client.post("/model/parse", json={"text": text, "message_id": "m-1"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"text", "intent", "intent_ranking", "entities", "message_id"}
    doc = joint_nlp(text)
    best = max(doc.cats, key=doc.cats.get)
    assert body["text"] == text and body["message_id"] == "m-1"
    assert body["intent"]["name"] == best and abs(body["intent"]["confidence"] - doc.cats[best]) < 1e-5
    assert [item["name"] for item in body["intent_ranking"]] == sorted(doc.cats, key=doc.cats.get, reverse=True)
    assert body["entities"] == [
        {"entity": e.label_, "start": e.start_char, "end": e.end_char, "value": e.text,
         "confidence_entity": pytest.approx(e._.confidence, abs=1e-5), "extractor": "rnn_joint"}
        for e in doc.ents
    ]
    assert body["entities"], "the tiny model should find the time and date slots"
    assert "message_id" not in client.post("/model/parse", json={"text": text}).json()


def test_parse_batch_returns_predict_records_in_order(client, joint_nlp):
    texts = ["play adele", "what is the weather in paris", "", "set an alarm for 6 pm"]
    response = client.post("/parse", json={"texts": texts})
    assert response.status_code == 200
    assert response.json()["results"] == json.loads(json.dumps(list(predict_texts(joint_nlp, texts, top_k=3))))
    ranked = client.post("/parse", json={"texts": texts[:1], "top_k": 1}).json()["results"][0]
    assert len(ranked["ranking"]) == 1


@pytest.mark.parametrize(
    "path, kwargs, status, fragment",
    [
        ("/model/parse", {"content": b'{"text": "play', "headers": {"content-type": "application/json"}}, 400, "malformed JSON"),
        ("/model/parse", {"json": {"message_id": "x"}}, 422, "text"),
        ("/model/parse", {"json": {"text": 123}}, 422, "text"),
        ("/model/parse", {"json": {"text": None}}, 422, "text"),
        ("/model/parse", {"json": ["play"]}, 422, "invalid request"),
        ("/model/parse", {"json": {"text": "x" * 51}}, 413, "51 characters"),
        ("/parse", {"json": {"texts": []}}, 422, "empty"),
        ("/parse", {"json": {"texts": ["a"] * 5}}, 413, "5 texts"),
        ("/parse", {"json": {"texts": ["ok", 7]}}, 422, "texts"),
        ("/parse", {"json": {"texts": ["ok", "y" * 60]}}, 413, "text 1"),
        ("/parse", {"json": {"texts": ["ok"], "top_k": 0}}, 422, "top_k"),
        ("/translate", {"json": {"texts": ["hello"]}}, 400, "no translator"),
        ("/nowhere", {"json": {}}, 404, "Not Found"),
        # a lone surrogate is valid JSON but no text: UTF-8 cannot encode it (spaCy's strings fail)
        ("/model/parse", {"content": b'{"text": "a \\ud800 b"}'}, 422, "lone surrogate"),
        ("/parse", {"content": b'{"texts": ["ok", "\\udfff"]}'}, 422, "text 1"),
        ("/model/parse", {"content": b'{"text": "hi", "message_id": "\\ud800"}'}, 422, "message_id"),
    ],
)
def test_bad_requests_get_json_4xx(client, path, kwargs, status, fragment):
    response = client.post(path, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert fragment in body["error"]
    assert isinstance(body["detail"], list) and body["detail"], "every error names what was wrong in detail"
    assert all({"type", "loc", "msg"} <= set(item) for item in body["detail"])


def test_body_is_json_whatever_the_content_type(client):
    for content_type in ("application/x-www-form-urlencoded", "text/plain"):
        response = client.post("/model/parse", content=b'{"text": "play adele"}', headers={"content-type": content_type})
        assert response.status_code == 200 and response.json()["text"] == "play adele"


def test_oversized_body_is_refused_before_reading(client):
    response = client.post("/parse", content=b"[" + b" " * 2_000_000 + b"]", headers={"content-type": "application/json"})
    assert response.status_code == 413 and "larger than" in response.json()["error"]


def test_wrong_method_is_json_405(client):
    response = client.get("/model/parse")
    assert response.status_code == 405 and "error" in response.json()


def test_health_version_and_docs(client):
    assert client.get("/health").json()["status"] == "ok"
    version = client.get("/version").json()
    assert version["package_version"] == __version__ and version["runtime"] == "torch"
    assert version["components"] == [{"name": "rnn_joint", "factory": "rnn_joint"}]
    assert "time" in version["labels"]["rnn_joint"] and "SetAlarm" in version["labels"]["rnn_joint"]
    schema = client.get("/openapi.json").json()
    assert {"/model/parse", "/parse", "/translate", "/health", "/version"} <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


def test_model_failure_is_500_for_that_text_only(joint_nlp):
    nlp = spacy.blank("en")
    nlp.add_pipe("explode_on_boom")
    with TestClient(create_app(nlp, ServeSettings(model="memory"))) as client:
        response = client.post("/parse", json={"texts": ["fine", "boom"]})
        assert response.status_code == 500
        assert "cannot handle this text" in response.json()["error"]
        assert client.post("/model/parse", json={"text": "fine"}).status_code == 200


def test_translate_endpoint_for_translator_pipelines():
    from nlp_rnn.extensions import install_extensions

    install_extensions()
    nlp = spacy.blank("en")
    nlp.add_pipe("reverse_translator", name="rnn_translator")
    with TestClient(create_app(nlp, ServeSettings(model="memory"))) as client:
        response = client.post("/translate", json={"texts": ["abc", "hello world"]})
        assert response.status_code == 200
        assert response.json() == {"results": [{"text": "abc", "translation": "cba"}, {"text": "hello world", "translation": "dlrow olleh"}]}
        assert client.post("/translate", json={"texts": []}).status_code == 422


def test_out_of_scope_record_is_rasa_fallback():
    """As Rasa's FallbackClassifier: nlu_fallback with the threshold as its confidence, inserted first
    in intent_ranking; without a confidence threshold (energy, mahalanobis) the top confidence."""
    ranking = [{"intent": f"I{i}", "score": 0.4 - i / 100} for i in range(12)]
    record = {"text": "hm", "intent": None, "confidence": 0.4, "out_of_scope": True, "ranking": ranking, "slots": []}
    result = rasa_parse_result(record, None, fallback_confidence=0.55)
    assert result["intent"] == {"name": "nlu_fallback", "confidence": 0.55}
    assert result["intent_ranking"][0] == {"name": "nlu_fallback", "confidence": 0.55}
    assert [item["name"] for item in result["intent_ranking"][1:]] == [f"I{i}" for i in range(10)]
    no_threshold = rasa_parse_result(record, None)
    assert no_threshold["intent"] == no_threshold["intent_ranking"][0] == {"name": "nlu_fallback", "confidence": 0.4}
    kept = rasa_parse_result(dict(record, intent="I0", out_of_scope=False), None, fallback_confidence=0.55)
    assert kept["intent"] == {"name": "I0", "confidence": 0.4} and kept["intent_ranking"][0]["name"] == "I0"


def test_rejected_text_is_served_as_rasa_fallback(joint_nlp):
    """msp rejection = a confidence threshold of 1 - oos.threshold: Rasa's FallbackClassifier threshold."""
    text = "wake me up at 7 am tomorrow"
    pipe = joint_nlp.get_pipe("rnn_joint")
    saved = dict(pipe.cfg)
    cats = joint_nlp(text).cats
    top = max(cats.values())
    try:
        pipe.cfg.update(oos=dict(pipe.cfg["oos"], score="msp", threshold=1 - top - 0.01))  # confidence threshold top + 0.01: rejected
        with TestClient(create_app(joint_nlp, ServeSettings(model="memory"))) as client:
            body = client.post("/model/parse", json={"text": text}).json()
    finally:
        pipe.cfg.clear()
        pipe.cfg.update(saved)
    fallback = {"name": "nlu_fallback", "confidence": pytest.approx(top + 0.01, abs=1e-5)}
    assert body["intent"] == fallback and body["intent_ranking"][0] == fallback
    assert [item["name"] for item in body["intent_ranking"][1:]] == sorted(cats, key=cats.get, reverse=True)[:10]


def test_bearer_token(joint_nlp, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "s3cret-token")
    settings = ServeSettings(model="memory", token_env=TOKEN_ENV)
    with TestClient(create_app(joint_nlp, settings)) as client:
        missing = client.post("/model/parse", json={"text": "play"})
        assert missing.status_code == 401 and missing.json()["detail"][0]["loc"] == ["header", "authorization"]
        wrong = client.post("/model/parse", json={"text": "play"}, headers={"Authorization": "Bearer s3cret-tokem"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        assert client.post("/model/parse", json={"text": "play"}, headers={"Authorization": "Basic s3cret-token"}).status_code == 401
        assert client.post("/model/parse", json={"text": "play"}, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        assert client.get("/version").status_code == 401
        assert client.get("/health").status_code == 200


def test_missing_token_variable_is_refused_at_start(joint_nlp, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(ValueError, match=TOKEN_ENV):
        create_app(joint_nlp, ServeSettings(model="memory", token_env=TOKEN_ENV))


def test_concurrent_requests_share_batches():
    calls = []

    def process(texts):
        calls.append(list(texts))
        time.sleep(0.05)
        if "bad" in texts:
            raise ValueError("bad text")
        return [text.upper() for text in texts]

    async def scenario(max_wait_ms):
        batcher = MicroBatcher(process, max_batch=4, max_wait_ms=max_wait_ms)
        await batcher.start()
        try:
            results = await asyncio.gather(*(batcher.submit([f"t{i}"]) for i in range(8)), batcher.submit(["bad"]), return_exceptions=True)
        finally:
            await batcher.stop()
        return results

    results = asyncio.run(scenario(max_wait_ms=20))
    assert results[:8] == [[f"T{i}"] for i in range(8)]
    assert isinstance(results[8], ValueError)
    assert [len(c) for c in calls[:2]] == [4, 4]  # 9 concurrent texts, at most 4 per call, retried alone after a failure
    calls.clear()
    asyncio.run(scenario(max_wait_ms=0))
    assert len(calls[0]) == 1 or len(calls[0]) == 4  # no waiting: the first call takes what is queued at once
    assert max(len(c) for c in calls) == 4


def test_serve_stops_at_start_when_model_cannot_load(tmp_path):
    result = CliRunner().invoke(cli_app, ["serve", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "model folder not found" in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_real_uvicorn_process(joint_nlp, tmp_path):
    """Start `nlp-rnn serve` on an exported pipeline, health, parse, a malformed request, shut down."""
    pytest.importorskip("onnxruntime")
    from nlp_rnn.export.to_onnx import export_pipeline

    export_pipeline(joint_nlp, tmp_path / "onnx")
    port = free_port()
    command = [sys.executable, "-m", "nlp_rnn", "serve", str(tmp_path / "onnx"), "--port", str(port), "--threads", "1"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=Path(__file__).parents[1])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.stdout.read().decode()
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not come up in 90 s"
            time.sleep(0.3)
        body = httpx.post(f"{base}/model/parse", json={"text": "wake me up at 7 am tomorrow"}, timeout=10).json()
        expected = joint_nlp("wake me up at 7 am tomorrow")
        assert body["intent"]["name"] == max(expected.cats, key=expected.cats.get)
        assert [(e["start"], e["end"], e["entity"]) for e in body["entities"]] == [(e.start_char, e.end_char, e.label_) for e in expected.ents]
        assert httpx.get(f"{base}/version", timeout=10).json()["runtime"] == "onnxruntime"
        bad = httpx.post(f"{base}/model/parse", content=b"{nope", headers={"content-type": "application/json"}, timeout=10)
        assert bad.status_code == 400 and "malformed JSON" in bad.json()["error"]
        surrogate = httpx.post(f"{base}/model/parse", content=b'{"text": "\\ud800"}', timeout=10)
        assert surrogate.status_code == 422 and "lone surrogate" in surrogate.json()["error"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, process.stdout.read().decode()[-2000:]
