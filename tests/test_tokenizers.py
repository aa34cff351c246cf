"""Tokenizers: spaCy rules for English, jieba (spaCy zh) with a user dictionary for Chinese."""

import pytest
import spacy

from nlp_rnn.language import blank_pipeline
from nlp_rnn.tokenizers.jieba_tokenizer import read_user_dictionary


def test_english_uses_spacy_rules():
    assert [t.text for t in blank_pipeline("en")("what's the time?")] == ["what", "'s", "the", "time", "?"]


def test_jieba_user_dictionary_changes_segmentation_and_is_saved(tmp_path):
    plain = [t.text for t in blank_pipeline("zh")("播放稻香夜曲")]
    user_dict = tmp_path / "dict.txt"
    user_dict.write_text("# songs\n稻香夜曲 1000 nz\n", encoding="utf8")
    nlp = blank_pipeline("zh", str(user_dict))
    assert "稻香夜曲" in [t.text for t in nlp("播放稻香夜曲")]
    assert "稻香夜曲" not in plain
    # only this pipeline changes: a fresh one segments as before
    assert [t.text for t in blank_pipeline("zh")("播放稻香夜曲")] == plain
    nlp.to_disk(tmp_path / "pipeline")
    user_dict.unlink()
    reloaded = spacy.load(tmp_path / "pipeline")
    assert "稻香夜曲" in [t.text for t in reloaded("播放稻香夜曲")]
    assert reloaded.from_bytes(nlp.to_bytes())("播放稻香夜曲")[1].text == "稻香夜曲"


def test_user_dictionary_errors_name_the_file_and_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        read_user_dictionary(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("好词 3 n\n太 多 的 列\n", encoding="utf8")
    with pytest.raises(ValueError, match="bad.txt:2"):
        read_user_dictionary(bad)


def test_user_dictionary_for_english_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="Chinese"):
        blank_pipeline("en", str(tmp_path / "x.txt"))


def test_mixed_script_and_emoji_keep_every_character():
    nlp = blank_pipeline("zh")
    text = "播放Taylor Swift的歌 😀 \t再见"
    assert nlp(text).text == text
