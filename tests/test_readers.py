"""Readers, tag decoding, token alignment and DocBin building on tiny inputs written in tmp_path."""

import json

import pytest
from spacy.tokens import DocBin

from nlp_rnn.data import (
    IntentRecord,
    InvalidRecordError,
    ReadReport,
    Slot,
    SlotAlignment,
    read_cais,
    read_csv,
    read_hf,
    read_jsonl,
    read_snips,
    records_to_doc,
    records_to_docbin,
    tags_to_slots,
    tags_to_token_spans,
)
from nlp_rnn.language import blank_pipeline


@pytest.fixture(scope="module")
def nlp_en():
    return blank_pipeline("en")


@pytest.fixture(scope="module")
def nlp_zh():
    return blank_pipeline("zh")


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf8")
    return path


def write_jsonl(path, objects):
    lines = [
        obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False) for obj in objects
    ]
    return write_lines(path, lines)


def slot_texts(record):
    return [(record.text[s.start : s.end], s.label) for s in record.slots]


# --- records -----------------------------------------------------------------------------


def test_invalid_record_error_message():
    error = InvalidRecordError("data.jsonl", 7, "boom")
    assert str(error) == "data.jsonl:7: boom"
    assert (error.path, error.line, error.problem) == ("data.jsonl", 7, "boom")
    assert isinstance(error, ValueError)


def test_record_intents_list():
    assert IntentRecord("a").intents == []
    assert IntentRecord("a", "x").intents == ["x"]
    assert IntentRecord("a", ["x", "y"]).intents == ["x", "y"]


# --- tags --------------------------------------------------------------------------------


def test_bio_tags_to_token_spans():
    spans, repairs = tags_to_token_spans("O B-city I-city O B-date".split())
    assert spans == [("city", 1, 3), ("date", 4, 5)]
    assert repairs == []


def test_bio_i_after_o_or_other_label_is_repaired_and_reported():
    spans, repairs = tags_to_token_spans("O I-city B-a I-b".split())
    assert spans == [("city", 1, 2), ("a", 2, 3), ("b", 3, 4)]
    assert len(repairs) == 2
    assert "'I-city' follows 'O'" in repairs[0]


def test_bioes_and_bmes_tags():
    assert tags_to_token_spans("B-a I-a E-a S-b O".split(), "BIOES") == (
        [("a", 0, 3), ("b", 3, 4)],
        [],
    )
    assert tags_to_token_spans("B-a M-a E-a".split(), "BMES") == ([("a", 0, 3)], [])
    # a BIOES span without its E tag is closed, and that counts as a repair
    spans, repairs = tags_to_token_spans("B-a I-a O".split(), "BIOES")
    assert spans == [("a", 0, 2)] and len(repairs) == 1


def test_tags_to_slots_char_offsets_and_bad_tag():
    slots, _ = tags_to_slots(["O", "B-x", "I-x"], [(0, 2), (3, 5), (6, 9)])
    assert slots == [Slot(3, 9, "x")]
    with pytest.raises(ValueError, match="'E-x' is not a BIO tag"):
        tags_to_slots(["E-x"], [(0, 1)])


# --- jsonl -------------------------------------------------------------------------------


def test_jsonl_reader(tmp_path):
    path = write_jsonl(
        tmp_path / "data.jsonl",
        [
            {
                "text": "wake me at 7 am",
                "intent": "alarm",
                "slots": [{"start": 11, "end": 15, "label": "time"}],
            },
            "",
            {"text": "hello", "intent": ["greet", "chat"]},
            {"text": "no intent here"},
        ],
    )
    records = list(read_jsonl(path))
    assert len(records) == 3
    assert slot_texts(records[0]) == [("7 am", "time")]
    assert records[1].intent == ["greet", "chat"] and records[1].slots == []
    assert records[2].intent is None


@pytest.mark.parametrize(
    "line, problem",
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        ('{"intent": "x"}', 'missing "text"'),
        ('{"text": 3}', '"text" must be a string, got int'),
        ('{"text": "hi", "intent": 5}', '"intent" must be a string, a list of strings or null'),
        ('{"text": "hi", "slots": {}}', '"slots" must be a list'),
        (
            '{"text": "hi", "slots": [{"start": "0", "end": 1, "label": "a"}]}',
            '"start" must be an int',
        ),
        ('{"text": "hi", "slots": [{"start": 0, "end": 1}]}', 'slot 1 is missing "label"'),
        (
            '{"text": "hi", "slots": [{"start": 1, "end": 1, "label": "a"}]}',
            "is empty (end <= start)",
        ),
        (
            '{"text": "hi", "slots": [{"start": 0, "end": 5, "label": "a"}]}',
            "falls outside the text",
        ),
        (
            '{"text": "hello", "slots": [{"start": 0, "end": 3, "label": "a"}, '
            '{"start": 2, "end": 4, "label": "b"}]}',
            "slot [2, 4) 'b' overlaps slot [0, 3) 'a'",
        ),
    ],
)
def test_jsonl_invalid_line_names_file_line_and_problem(tmp_path, line, problem):
    path = write_jsonl(tmp_path / "data.jsonl", [{"text": "fine", "intent": "x"}, "", line])
    with pytest.raises(InvalidRecordError) as caught:
        list(read_jsonl(path))
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{path}:3: ")
    assert problem in caught.value.problem


def test_jsonl_outside_message_matches_spec(tmp_path):
    text = "x" * 20
    path = write_jsonl(
        tmp_path / "data.jsonl",
        [{"text": text, "slots": [{"start": 12, "end": 40, "label": "time"}]}],
    )
    with pytest.raises(
        InvalidRecordError,
        match=r"data.jsonl:1: slot \[12, 40\) 'time' falls outside the text \(length 20\)",
    ):
        list(read_jsonl(path))


def test_jsonl_skip_invalid_counts(tmp_path):
    path = write_jsonl(
        tmp_path / "data.jsonl",
        [{"text": "a", "intent": "x"}, "{oops", '{"text": ""}', {"text": "b"}],
    )
    report = ReadReport()
    records = list(read_jsonl(path, skip_invalid=True, report=report))
    assert [r.text for r in records] == ["a", "b"]
    assert report.records == 2
    assert len(report.invalid) == 2
    assert report.invalid[0].startswith(f"{path}:2: invalid JSON")
    assert report.invalid[1] == f'{path}:3: "text" is empty'


def test_jsonl_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="JSONL file not found"):
        list(read_jsonl(tmp_path / "nope.jsonl"))


# --- csv ---------------------------------------------------------------------------------


def test_csv_with_and_without_header(tmp_path):
    with_header = write_lines(
        tmp_path / "a.csv", ["intent,text,extra", 'greet,"hi, there",1', "bye,see you,2"]
    )
    records = list(read_csv(with_header))
    assert [(r.text, r.intent) for r in records] == [("hi, there", "greet"), ("see you", "bye")]
    no_header = write_lines(tmp_path / "b.csv", ["hello,greet", "", "just text"])
    records = list(read_csv(no_header))
    assert [(r.text, r.intent) for r in records] == [("hello", "greet"), ("just text", None)]


def test_csv_invalid_rows(tmp_path):
    path = write_lines(
        tmp_path / "c.csv", ["text,intent", "ok,x", "a,b,c", '"multi', 'line",y', '"  ",z']
    )
    with pytest.raises(
        InvalidRecordError, match=r"c.csv:3: expected 2 columns like the header, got 3"
    ):
        list(read_csv(path))
    report = ReadReport()
    records = list(read_csv(path, skip_invalid=True, report=report))
    assert [r.text for r in records] == ["ok", "multi\nline"]
    assert report.invalid == [
        f"{path}:3: expected 2 columns like the header, got 3",
        f'{path}:6: "text" is empty',
    ]


# --- snips / atis ------------------------------------------------------------------------


def write_snips(folder, seq_in, seq_out, labels):
    folder.mkdir()
    write_lines(folder / "seq.in", seq_in)
    write_lines(folder / "seq.out", seq_out)
    write_lines(folder / "label", labels)
    return folder


def test_snips_reader_trailing_spaces_and_atis_multi_intent(tmp_path):
    folder = write_snips(
        tmp_path / "snips",
        ["play the   beatles on spotify", "flights from boston"],
        ["O O B-artist O B-service ", "O O B-fromloc.city_name "],
        ["PlayMusic", "atis_flight#atis_airfare"],
    )
    records = list(read_snips(folder))
    assert records[0].text == "play the beatles on spotify"
    assert slot_texts(records[0]) == [("beatles", "artist"), ("spotify", "service")]
    assert records[1].intent == "atis_flight#atis_airfare"
    assert slot_texts(records[1]) == [("boston", "fromloc.city_name")]


def test_snips_i_after_o_repair_is_counted(tmp_path):
    folder = write_snips(tmp_path / "s", ["new york city now"], ["O I-city I-city O "], ["x"])
    report = ReadReport()
    (record,) = read_snips(folder, report=report)
    assert slot_texts(record) == [("york city", "city")]
    assert len(report.repairs) == 1
    assert report.repairs[0].startswith(f"{folder / 'seq.out'}:1: tag 2 'I-city' follows 'O'")


def test_snips_word_tag_mismatch_and_skip(tmp_path):
    folder = write_snips(
        tmp_path / "s", ["a b", "c d e", "f"], ["O O", "O O", "O"], ["x", "y", "z"]
    )
    with pytest.raises(InvalidRecordError, match=r"seq.out:2: 2 tags for 3 words"):
        list(read_snips(folder))
    report = ReadReport()
    assert [r.text for r in read_snips(folder, skip_invalid=True, report=report)] == ["a b", "f"]
    assert len(report.invalid) == 1


def test_snips_line_count_mismatch(tmp_path):
    folder = write_snips(tmp_path / "s", ["a", "b"], ["O", "O"], ["x"])
    with pytest.raises(InvalidRecordError, match=r"label:2: label ends before line 2"):
        list(read_snips(folder, skip_invalid=True))


def test_snips_missing_file(tmp_path):
    (tmp_path / "s").mkdir()
    write_lines(tmp_path / "s" / "seq.in", ["a"])
    with pytest.raises(FileNotFoundError, match="has no seq.out, label"):
        list(read_snips(tmp_path / "s"))


# --- cais --------------------------------------------------------------------------------


def write_cais(folder, utterances, intents, name="ch.train"):
    """utterances: lists of (char, tag)."""
    folder.mkdir()
    blocks = ["\n".join(f"{char} {tag}" for char, tag in utt) for utt in utterances]
    (folder / name).write_text("\n\n".join(blocks) + "\n", encoding="utf8")
    write_lines(folder / f"{name}.intent", intents)
    return folder


def test_cais_reader_literal_space_chars(tmp_path):
    folder = write_cais(
        tmp_path / "cais",
        [
            [
                ("放", "O"),
                ("t", "B-singer"),
                ("f", "I-singer"),
                (" ", "I-singer"),
                ("b", "E-singer"),
                (" ", "O"),
                ("歌", "S-x"),
            ],
            [("你", "O"), ("好", "O")],
        ],
        ["PlayMusic", "Chat"],
    )
    assert "\n  O\n" in (folder / "ch.train").read_text(encoding="utf8")
    records = list(read_cais(folder))
    assert records[0].text == "放tf b 歌"
    assert slot_texts(records[0]) == [("tf b", "singer"), ("歌", "x")]
    assert (records[1].text, records[1].intent, records[1].slots) == ("你好", "Chat", [])
    # the tag file itself works as input too
    assert len(list(read_cais(folder / "ch.train"))) == 2


def test_cais_errors(tmp_path):
    folder = write_cais(tmp_path / "c", [[("a", "O")], [("b", "X-y")]], ["i", "j"])
    with pytest.raises(InvalidRecordError, match=r"ch.train:3: tag 1 'X-y' is not a BIOES tag"):
        list(read_cais(folder))
    report = ReadReport()
    assert len(list(read_cais(folder, skip_invalid=True, report=report))) == 1
    assert len(report.invalid) == 1
    short = write_cais(tmp_path / "d", [[("a", "O")], [("b", "O")]], ["i"])
    with pytest.raises(InvalidRecordError, match=r"ch.train.intent:2: ch.train.intent has 1 lines"):
        list(read_cais(short))
    (tmp_path / "e").mkdir()
    with pytest.raises(FileNotFoundError, match="exactly one tag file"):
        list(read_cais(tmp_path / "e"))


# --- hf (local files only: the hub is unreachable in tests) --------------------------------


def test_hf_reader_local_jsonl_with_class_labels(tmp_path):
    datasets = pytest.importorskip("datasets")
    path = write_jsonl(
        tmp_path / "d.jsonl", [{"utt": "hi", "label": "greet"}, {"utt": "bye", "label": "leave"}]
    )
    records = list(
        read_hf(path, text_column="utt", intent_column="label", cache_dir=str(tmp_path / "cache"))
    )
    assert [(r.text, r.intent) for r in records] == [("hi", "greet"), ("bye", "leave")]
    # ClassLabel ints map to their names
    features = datasets.Features(
        {"text": datasets.Value("string"), "intent": datasets.ClassLabel(names=["a", "b"])}
    )
    datasets.Dataset.from_dict(
        {"text": ["x", "y"], "intent": [1, 0]}, features=features
    ).to_parquet(str(tmp_path / "d.parquet"))
    records = list(
        read_hf(tmp_path / "d.parquet", cache_dir=str(tmp_path / "cache"))
    )  # keeps features
    assert [r.intent for r in records] == ["b", "a"]


def test_hf_reader_local_csv_and_errors(tmp_path):
    pytest.importorskip("datasets")
    path = write_lines(tmp_path / "d.csv", ["text,intent", "hello,greet", ",empty"])
    cache = str(tmp_path / "cache")
    report = ReadReport()
    records = list(read_hf(path, cache_dir=cache, skip_invalid=True, report=report))
    assert [(r.text, r.intent) for r in records] == [("hello", "greet")]
    assert report.invalid == [f'{path}[train]:2: "text" must be a string, got null']
    with pytest.raises(ValueError, match="has no column 'utterance'; its columns: text, intent"):
        list(read_hf(path, text_column="utterance", cache_dir=cache))
    with pytest.raises(FileNotFoundError):
        list(read_hf(tmp_path / "missing.jsonl", cache_dir=cache))


# --- alignment and DocBin ----------------------------------------------------------------


def test_zh_token_split_where_jieba_merges_a_slot_with_its_neighbour(nlp_zh):
    record = IntentRecord("我要听安和桥。", "PlayMusic", [Slot(3, 6, "song_name")])
    assert "听安和桥" in [t.text for t in nlp_zh.make_doc(record.text)]
    alignment = SlotAlignment()
    doc = records_to_doc(record, nlp_zh, ["Chat", "PlayMusic"], alignment=alignment)
    assert [t.text for t in doc] == ["我要", "听", "安和桥", "。"]
    assert [(e.text, e.label_) for e in doc.ents] == [("安和桥", "song_name")]
    assert doc.cats == {"Chat": 0.0, "PlayMusic": 1.0}
    assert (alignment.slots, alignment.split_slots) == (1, 1)


def test_en_split_keeps_spaces_norms_and_slots_on_whitespace(nlp_en):
    text = "I don't like xyzabc now ok"
    record = IntentRecord(text, None, [Slot(13, 16, "a"), Slot(19, 23, "b")])
    doc = records_to_doc(record, nlp_en, [])
    assert doc.text == text
    assert [(e.text, e.label_) for e in doc.ents] == [("xyz", "a"), (" now", "b")]
    assert [t.norm_ for t in doc if t.text == "n't"] == ["not"]
    assert doc.cats == {}
    # a slot may also end on a token's trailing space
    doc = records_to_doc(IntentRecord("ab cd", None, [Slot(0, 3, "c")]), nlp_en, [])
    assert [t.text for t in doc] == ["ab", " ", "cd"] and doc.ents[0].text == "ab "


def test_docbin_round_trip_ents_and_cats(nlp_en, tmp_path):
    records = [
        IntentRecord("book a flight to paris", "book", [Slot(17, 22, "city")]),
        IntentRecord("hello there", ["greet", "chat"]),
    ]
    alignment = SlotAlignment()
    records_to_docbin(
        iter(records), nlp_en, ["book", "chat", "greet"], alignment=alignment
    ).to_disk(tmp_path / "x.spacy")
    docs = list(DocBin().from_disk(tmp_path / "x.spacy").get_docs(nlp_en.vocab))
    assert [(e.text, e.label_) for e in docs[0].ents] == [("paris", "city")]
    assert docs[0].cats == {"book": 1.0, "chat": 0.0, "greet": 0.0}
    assert docs[1].cats == {"book": 0.0, "chat": 1.0, "greet": 1.0}
    assert (alignment.slots, alignment.split_slots) == (1, 0)
