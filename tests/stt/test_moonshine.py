"""The second English recogniser (Moonshine base, real model) and how whisper-base asks it.

The espeak-ng clips are questions whisper-base mishears and is unsure of (tests/fixtures/README.md);
Piper's and Kokoro's are ones it hears surely, which must keep whisper's text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devsupport.paths import FIXTURES, MODELS
from jarvis.audio.wavio import read_wav
from jarvis.config import Settings, STTSettings
from jarvis.stt import SAMPLE_RATE, load_english_check, load_stt
from jarvis.stt.moonshine import (
    DECODER,
    DECODER_FLOAT,
    ENCODER,
    TOKENIZER,
    MoonshineEnglish,
    decode_tokens,
    load_vocabulary,
    main,
)
from tests.support.wer import wer

MOONSHINE = MODELS / "moonshine-base-en"
ESPEAK = FIXTURES / "speech" / "espeak"
QUESTIONS = FIXTURES / "speech" / "questions"


def _said(path: Path) -> str:
    return path.with_suffix(".txt").read_text(encoding="utf-8").strip()


def _settings(**stt) -> Settings:
    return Settings(stt=STTSettings(**{"model": MODELS / "whisper-base", "english_check_model": MOONSHINE, **stt}))


@pytest.fixture(scope="module")
def both():
    """whisper-base with the English check, and the same whisper alone."""
    checked = load_stt(_settings())
    alone = load_stt(_settings(english_check=False))
    yield checked, alone
    checked.close()
    alone.close()


def test_the_tokenizer_table_reads_and_decodes() -> None:
    vocabulary = load_vocabulary(MOONSHINE / TOKENIZER)
    assert len(vocabulary) == 32000 and vocabulary[:3] == [b"<unk>", b"<s>", b"</s>"]
    ids = [vocabulary.index("\u2581Who".encode()), vocabulary.index("\u2581wrote".encode())]
    assert decode_tokens([1, *ids, 2, 40000], vocabulary) == "Who wrote"


def test_a_damaged_tokenizer_table_is_refused(tmp_path) -> None:
    bad = tmp_path / TOKENIZER
    bad.write_bytes(b"\x03abc\xc8" + b"x" * 10)
    with pytest.raises(ValueError, match="unknown tokenizer format"):
        load_vocabulary(bad)


@pytest.mark.parametrize("clip", ["en-centimeters", "en-romeo"])
def test_an_unsure_english_question_is_heard_by_the_second_recogniser(both, clip) -> None:
    checked, alone = both
    audio, said = read_wav(ESPEAK / f"{clip}.wav", SAMPLE_RATE), _said(ESPEAK / f"{clip}.wav")
    whisper = alone.transcribe(audio)
    assert wer(said, whisper.text) > 0.3 and whisper.logprob < checked.english_check_below, whisper
    heard = checked.transcribe(audio)
    assert checked.last_engine == "moonshine-base-en" and heard.language == "en"
    assert wer(said, heard.text) == 0.0, heard
    assert heard.logprob is not None and heard.logprob > whisper.logprob  # the surer decode won


def test_sure_speech_and_other_languages_keep_whispers_text(both) -> None:
    checked, alone = both
    for name in ("en-capital", "es-capital", "es-hora"):
        audio = read_wav(QUESTIONS / f"{name}.wav", SAMPLE_RATE)
        heard = checked.transcribe(audio)
        assert checked.last_engine == "whisper", (name, heard)
        assert heard.text == alone.transcribe(audio).text
    # partials and end-of-turn checks (quick) never wait for a second decode
    checked.transcribe(read_wav(ESPEAK / "en-romeo.wav", SAMPLE_RATE), quick=True)
    assert checked.last_engine == "whisper"


def test_an_unsure_second_text_leaves_whispers(both, monkeypatch) -> None:
    """Moonshine's text must be sure as well as surer (stt.english_check_sure): with a bar no decode
    reaches, whisper's words and score stay, and the turn is asked again as before."""
    checked, alone = both
    audio = read_wav(ESPEAK / "en-romeo.wav", SAMPLE_RATE)
    monkeypatch.setattr(checked, "english_check_sure", 0.0)
    heard = checked.transcribe(audio)
    assert checked.last_engine == "whisper"
    assert (heard.text, heard.logprob) == (alone.transcribe(audio).text, alone.last_logprob)


def test_the_float_decoder_hears_what_the_ort_one_does(tmp_path) -> None:
    """``prepare`` (run by install.sh) writes the decoder with float weights; same words, same scores."""
    for name in (ENCODER, DECODER, TOKENIZER):
        (tmp_path / name).symlink_to(MOONSHINE / name)
    audio = read_wav(ESPEAK / "en-centimeters.wav", SAMPLE_RATE)
    ort_text, ort_logprob = MoonshineEnglish(tmp_path, threads=2).transcribe(audio)
    assert main(["prepare", str(tmp_path)]) == 0 and (tmp_path / DECODER_FLOAT).is_file()
    folded = MoonshineEnglish(tmp_path, threads=2)
    assert folded.folded
    text, logprob = folded.transcribe(audio)
    assert text == ort_text and wer(_said(ESPEAK / "en-centimeters.wav"), text) == 0.0
    assert logprob == pytest.approx(ort_logprob, abs=1e-3)


def test_every_recogniser_of_the_process_shares_one_moonshine(both) -> None:
    checked, _ = both
    assert load_english_check(_settings(), threads=checked.cpu_threads) is checked.english_check


def test_without_its_files_whisper_works_alone(tmp_path, capsys) -> None:
    assert load_english_check(_settings(english_check_model=tmp_path)) is None
    assert load_english_check(_settings(language="es")) is None  # Spanish fixed: never English
    assert load_english_check(_settings(english_check=False)) is None
    assert main(["prepare", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert out.startswith("error: no Moonshine model") and "hint:" in out


def test_silence_and_a_too_short_clip_give_no_words() -> None:
    moon = MoonshineEnglish(MOONSHINE, threads=2)
    assert moon.transcribe(np.zeros(800, np.float32)) == ("", None)
    assert moon.transcribe(np.zeros((2, 16000), np.float32)) == ("", None)
