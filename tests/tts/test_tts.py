"""Text to speech with the real Piper and Kokoro ONNX voices; round trips through whisper-base."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from devsupport.config import write_config
from devsupport.paths import MODELS
from jarvis.audio.wavio import read_wav_native, resample
from jarvis.cli import main
from jarvis.config import Settings, STTSettings, TTSSettings
from jarvis.errors import ConfigError, ModelNotFound
from jarvis.stt import SAMPLE_RATE, load_stt
from jarvis.tts import VoiceSet
from tests.support.wer import wer

PIPER = MODELS / "piper" / "en_US-joe-medium.onnx"
KOKORO = MODELS / "kokoro" / "kokoro-v1.0.int8.onnx"
KOKORO_VOICES = MODELS / "kokoro" / "voices.npz"
KOKORO_STYLES = MODELS / "kokoro" / "styles"
EN_TEXT = "Good morning, the meeting starts at ten o'clock in the library."
ES_TEXT = "Buenos días, la reunión empieza a las diez en la biblioteca."


def tts_settings(**changes) -> TTSSettings:
    base = {
        "piper_model": PIPER, "kokoro_model": KOKORO, "kokoro_voices": KOKORO_VOICES, "kokoro_styles": KOKORO_STYLES,
    }
    return TTSSettings(**{**base, **changes})


@pytest.fixture(scope="module")
def voices():
    vs = VoiceSet(tts_settings())
    yield vs
    vs.close()


@pytest.fixture(scope="module")
def stt():
    model = load_stt(Settings(stt=STTSettings(model=MODELS / "whisper-base")))
    yield model
    model.close()


def heard(stt, audio: np.ndarray, rate: int):
    """What whisper-base hears in ``audio`` (language detected)."""
    return stt.transcribe(resample(audio, rate, SAMPLE_RATE))


def assert_audible(audio: np.ndarray) -> None:
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert float(np.max(np.abs(audio))) <= 1.0
    assert float(np.sqrt(np.mean(audio**2))) > 0.01


def test_english_round_trip_with_piper(voices, stt) -> None:
    spoken = voices.speak(EN_TEXT, "en")
    assert (spoken.voice, spoken.language, spoken.sample_rate) == ("piper", "en", 22050)
    assert not spoken.fell_back and spoken.note == ""
    assert_audible(spoken.audio)
    assert 1.5 < spoken.duration_s < 10
    result = heard(stt, spoken.audio, spoken.sample_rate)
    assert result.language == "en"
    assert wer(EN_TEXT, result.text) <= 0.15, result.text


def test_spanish_round_trip_with_kokoro(voices, stt) -> None:
    spoken = voices.speak(ES_TEXT, "es")
    assert (spoken.voice, spoken.language, spoken.sample_rate) == ("kokoro", "es", 24000)
    assert not spoken.fell_back
    assert_audible(spoken.audio)
    result = heard(stt, spoken.audio, spoken.sample_rate)
    assert result.language == "es"
    assert wer(ES_TEXT, result.text, "es") <= 0.25, result.text


def test_empty_text_is_silence(voices) -> None:
    spoken = voices.speak("   ", "en")
    assert len(spoken.audio) == 0 and spoken.duration_s == 0


def test_regional_code_uses_the_language_voice(voices) -> None:
    assert voices.choose("es-MX") == ("kokoro", "es", "")
    assert voices.choose(None) == ("piper", "en", "")


def test_language_without_a_voice_falls_back_and_says_so(voices, stt) -> None:
    spoken = voices.speak("Hello from a fallback voice.", "fr")
    assert spoken.fell_back and spoken.voice == "piper" and spoken.language == "en"
    assert "no voice for language 'fr'" in spoken.note
    text = heard(stt, spoken.audio, spoken.sample_rate).text.lower()
    assert "hello" in text and "fallback" in text, text  # Piper varies its delivery run to run


def test_missing_kokoro_falls_back_to_the_default_voice(tmp_path: Path) -> None:
    vs = VoiceSet(tts_settings(kokoro_model=tmp_path / "gone.onnx"))
    try:
        spoken = vs.speak("Hola.", "es")
        assert spoken.fell_back and spoken.voice == "piper"
        assert "unavailable" in spoken.note and "gone.onnx" in spoken.note
        notes = vs.preload()
        assert len(notes) == 1 and "install.sh" in notes[0]
    finally:
        vs.close()


def test_missing_default_voice_is_an_error(tmp_path: Path) -> None:
    vs = VoiceSet(tts_settings(piper_model=tmp_path / "joe.onnx"))
    with pytest.raises(ModelNotFound, match="joe.onnx") as info:
        vs.speak("Hello.", "en")
    assert "install.sh" in info.value.hint


def test_unknown_engine_and_voiceless_default_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown engine 'festival'"):
        VoiceSet(tts_settings(voices={"en": "festival"}))
    with pytest.raises(ConfigError, match="default_language 'de' has no voice"):
        VoiceSet(tts_settings(default_language="de"))


def test_unknown_kokoro_style_lists_the_styles() -> None:
    vs = VoiceSet(tts_settings(kokoro_voice="af_nobody", default_language="es", voices={"es": "kokoro"}))
    with pytest.raises(ConfigError, match="af_nobody") as info:
        vs.speak("Hola.", "es")
    assert "jf_alpha" in info.value.hint


def test_speed_setting_changes_the_pace(voices) -> None:
    fast = VoiceSet(tts_settings(speed=1.6))
    try:
        quick = fast.speak(EN_TEXT, "en")
    finally:
        fast.close()
    normal = voices.speak(EN_TEXT, "en")
    assert quick.duration_s < 0.8 * normal.duration_s


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    tts = (f'piper_model = "{PIPER}"\nkokoro_model = "{KOKORO}"\nkokoro_voices = "{KOKORO_VOICES}"\n'
           f'kokoro_styles = "{KOKORO_STYLES}"')
    return write_config(tmp_path, tts=tts)


def test_cli_say_writes_a_wav(config: Path, tmp_path: Path, stt, capsys) -> None:
    out = tmp_path / "reply.wav"
    text = "**Hello!** The answer is 42.\n```python\nprint('code is not spoken')\n```"
    assert main(["--config", str(config), "say", text, "-o", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["voice"] == "piper" and doc["language"] == "en" and not doc["fell_back"]
    assert doc["sentences"] == ["Hello!", "The answer is 42."]
    audio, rate = read_wav_native(out)
    assert rate == 22050 and doc["audio_s"] == pytest.approx(len(audio) / rate, abs=0.01)
    text_heard = heard(stt, audio, rate).text.lower()
    assert "answer" in text_heard and "code" not in text_heard


def test_cli_say_guesses_spanish(config: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "es.wav"
    assert main(["--config", str(config), "say", "Hola, ¿qué tal?", "-o", str(out)]) == 0
    assert "kokoro voice, es: kokoro ef_dora" in capsys.readouterr().out
    assert read_wav_native(out)[1] == 24000


def test_cli_say_fallback_note_on_stderr(config: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "fr.wav"
    assert main(["--config", str(config), "say", "Bonjour.", "-o", str(out), "--language", "fr"]) == 0
    assert "note: no voice for language 'fr'" in capsys.readouterr().err
    assert out.is_file()


def test_cli_say_nothing_to_say(config: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "none.wav"
    assert main(["--config", str(config), "say", "```\nonly code\n```", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "nothing to say" in err and "hint:" in err
    assert not out.exists()


# Lines the two styles are heard differently on: "¿Cuál es la capital de Francia?" and ES_TEXT were
# heard whole with either style (whisper-base, 7 Dec 2026), so they are left out to save time.
SPANISH_LINES = [
    "Recuérdame comprar leche y pan.",
    "Hoy hace mucho calor en Madrid.",
    "Cuéntame un chiste corto.",
]


def test_spanish_style_is_understood_better_than_the_japanese_one(stt) -> None:
    """Spanish spoken with ef_dora (from npm kokoro-js) and heard back by whisper, vs the Japanese jf_alpha."""
    from tests.support.wer import corpus_wer

    scores = {}
    for style in ("ef_dora", "jf_alpha"):
        vs = VoiceSet(tts_settings(kokoro_voice_for={"es": style}))
        try:
            pairs = [(line, heard(stt, (s := vs.speak(line, "es")).audio, s.sample_rate).text)
                     for line in SPANISH_LINES]
        finally:
            vs.close()
        scores[style] = corpus_wer(pairs, "es")
    assert scores["ef_dora"] <= 0.15, scores
    assert scores["ef_dora"] < scores["jf_alpha"], scores


def test_style_files_load_beside_the_npz() -> None:
    from jarvis.tts.kokoro_backend import load_styles

    styles = load_styles(KOKORO_VOICES, KOKORO_STYLES)
    assert {"jf_alpha", "ef_dora", "em_alex", "af_heart"} <= set(styles)
    assert styles["ef_dora"].shape == (510, 1, 256)
