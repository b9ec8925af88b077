"""Speech to text with the real whisper-base model (CPU int8) on the shared speech fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from devsupport.config import write_config
from devsupport.paths import FIXTURES, MODELS
from jarvis.cli import main
from jarvis.config import Settings, STTSettings
from jarvis.errors import AudioFormatError, ConfigError, ModelNotFound
from jarvis.hardware import Placement, PlacementPlan
from jarvis.stt import SAMPLE_RATE, SttResult, load_stt, stt_placement
from tests.support.wer import corpus_wer, wer

SPEECH = FIXTURES / "speech"
EN_CLIPS = sorted((SPEECH / "en").glob("librivox-*.wav"))
ES_CLIPS = sorted((SPEECH / "es").glob("*.wav"))


def _read(path: Path) -> np.ndarray:
    from jarvis.audio.wavio import read_wav

    return read_wav(path, SAMPLE_RATE)


@pytest.fixture(scope="module")
def stt():
    model = load_stt(Settings(stt=STTSettings(model=MODELS / "whisper-base")))
    yield model
    model.close()


@pytest.fixture(scope="module")
def heard(stt) -> dict[str, SttResult]:
    """Every English and Spanish fixture transcribed once, language detected."""
    return {p.name: stt.transcribe(_read(p)) for p in EN_CLIPS + ES_CLIPS}


def test_fixtures_are_there() -> None:
    assert len(EN_CLIPS) == 3 and len(ES_CLIPS) == 3


def test_english_word_error_rate_at_most_ten_percent(heard) -> None:
    pairs = [(p.with_suffix(".txt").read_text(), heard[p.name].text) for p in EN_CLIPS]
    assert corpus_wer(pairs) <= 0.10, pairs
    for ref, hyp in pairs:
        assert wer(ref, hyp) <= 0.15, (ref, hyp)


def test_english_is_detected_as_english(heard) -> None:
    for p in EN_CLIPS:
        result = heard[p.name]
        assert result.language == "en"
        assert result.language_probability > 0.5
        assert result.audio_s == pytest.approx(len(_read(p)) / SAMPLE_RATE)
        assert result.seconds > 0


def test_spanish_is_detected_as_spanish(heard) -> None:
    for p in ES_CLIPS:
        assert heard[p.name].language == "es", (p.name, heard[p.name])


def test_spanish_counting_is_recognised(heard) -> None:
    ref = (SPEECH / "es" / "conteo.txt").read_text()
    assert wer(ref, heard["conteo.wav"].text, "es") <= 0.2


def test_fixed_language_skips_detection(stt) -> None:
    result = stt.transcribe(_read(EN_CLIPS[1]), language="en")
    assert result.language == "en" and result.language_probability == 1.0
    assert "young man" in result.text.lower()


def test_fixed_language_from_settings() -> None:
    model = load_stt(Settings(stt=STTSettings(model=MODELS / "whisper-base", language="es")))
    try:
        result = model.transcribe(_read(SPEECH / "es" / "conteo.wav"))
    finally:
        model.close()
    assert result.language == "es" and result.language_probability == 1.0
    assert wer((SPEECH / "es" / "conteo.txt").read_text(), result.text, "es") <= 0.2


def test_silence_gives_empty_text(stt) -> None:
    for audio in (np.zeros(SAMPLE_RATE, dtype=np.float32), np.zeros(100, dtype=np.float32)):
        result = stt.transcribe(audio)
        assert result.text == ""
        assert result.audio_s == pytest.approx(len(audio) / SAMPLE_RATE)


def test_noise_only_gives_empty_text(stt) -> None:
    rng = np.random.default_rng(7)
    hiss = np.clip(rng.normal(0.0, 0.1, 2 * SAMPLE_RATE), -1, 1).astype(np.float32)
    hum = (0.2 * np.sin(2 * np.pi * 50 * np.arange(2 * SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)
    for audio in (hiss, hum):
        assert stt.transcribe(audio).text == ""


@pytest.mark.parametrize(
    ("text", "no_speech", "logprob", "ratio", "kept"),
    [
        (" He was not an ill-disposed young man.", 0.06, -0.34, 0.82, True),
        (" He was not an ill-disposed young man.", 0.21, -0.40, 0.82, True),  # quiet speech
        (" 1.0.0.0.0.0.0.0.0.", 0.80, -0.74, 1.83, False),  # made up from hiss
        (" you you you you you you you you", 0.10, -0.20, 3.50, False),  # repetition loop
        ("  ", 0.0, -0.1, 1.0, False),
    ],
)
def test_hallucination_filter(text: str, no_speech: float, logprob: float, ratio: float, kept: bool) -> None:
    from types import SimpleNamespace

    from jarvis.stt.faster_whisper_backend import is_heard

    segment = SimpleNamespace(text=text, no_speech_prob=no_speech, avg_logprob=logprob, compression_ratio=ratio)
    assert is_heard(segment) is kept


def test_stereo_array_is_refused(stt) -> None:
    with pytest.raises(AudioFormatError, match="mono"):
        stt.transcribe(np.zeros((SAMPLE_RATE, 2), dtype=np.float32))


def test_unknown_language_code_is_refused(stt) -> None:
    with pytest.raises(ConfigError, match="unknown language code 'xx'") as info:
        stt.transcribe(_read(EN_CLIPS[1]), language="xx")
    assert info.value.hint


def test_missing_model_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="speech recognition model not found") as info:
        load_stt(Settings(stt=STTSettings(model=tmp_path / "whisper-nothing")))
    assert "install.sh" in info.value.hint


def test_english_only_model_always_answers_english() -> None:
    model = load_stt(Settings(stt=STTSettings(model=MODELS / "whisper-tiny.en")))
    try:
        assert not model.multilingual
        result = model.transcribe(_read(EN_CLIPS[1]), language="es")
    finally:
        model.close()
    assert result.language == "en"
    assert "young man" in result.text.lower()


def test_placement_from_plan_and_overrides() -> None:
    plan = PlacementPlan({"stt": Placement("stt", "cuda:1", "second GPU", 4, 0, 0, "float16")})
    base = Settings(stt=STTSettings(model=MODELS / "whisper-base"))
    assert stt_placement(base, plan) == ("cuda:1", "float16", 4)
    forced_cpu = Settings(stt=STTSettings(device="cpu"))
    assert stt_placement(forced_cpu, plan) == ("cpu", "int8", 4)
    forced_type = Settings(stt=STTSettings(compute_type="int8_float16"))
    assert stt_placement(forced_type, plan) == ("cuda:1", "int8_float16", 4)
    device, compute, threads = stt_placement(base, None)
    assert (device, compute) == ("cpu", "int8") and threads >= 1


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, stt=f'model = "{MODELS / "whisper-base"}"')


def test_cli_transcribe_prints_the_text(config: Path, capsys) -> None:
    assert main(["--config", str(config), "transcribe", str(EN_CLIPS[1])]) == 0
    out = capsys.readouterr().out
    assert wer("he was not an ill disposed young man", out) <= 0.15


def test_cli_transcribe_json(config: Path, capsys) -> None:
    clip = SPEECH / "es" / "conteo.wav"
    assert main(["--config", str(config), "transcribe", str(clip), "--json", "--language", "es"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["language"] == "es"
    assert wer((SPEECH / "es" / "conteo.txt").read_text(), doc["text"], "es") <= 0.2
    assert doc["device"] == "cpu" and doc["compute_type"] == "int8"
    assert doc["audio_s"] > 3 and doc["timings"]["transcribe_s"] > 0 and doc["timings"]["load_s"] > 0
    assert doc["real_time_factor"] > 0


def test_cli_transcribe_silence_is_an_error(config: Path, tmp_path: Path, capsys) -> None:
    from jarvis.audio.wavio import write_wav

    silent = write_wav(tmp_path / "silent.wav", np.zeros(SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE)
    assert main(["--config", str(config), "transcribe", str(silent)]) == 2
    err = capsys.readouterr().err
    assert "no speech recognised" in err and "hint:" in err


def test_cli_transcribe_bad_file(config: Path, tmp_path: Path, capsys) -> None:
    bogus = tmp_path / "notes.wav"
    bogus.write_text("this is not audio")
    assert main(["--config", str(config), "transcribe", str(bogus)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "hint:" in err and "Traceback" not in err


def test_cli_transcribe_missing_model(tmp_path: Path, capsys) -> None:
    cfg = write_config(tmp_path, stt=f'model = "{tmp_path / "nope"}"')
    assert main(["--config", str(cfg), "transcribe", str(EN_CLIPS[1])]) == 2
    assert "install.sh" in capsys.readouterr().err


def test_short_context_matches_the_full_window_on_the_fixtures(stt) -> None:
    """The cut encoder window (the default) stays within 5 % WER of the references, like the 30 s one."""
    from jarvis.stt.faster_whisper_backend import FasterWhisperSTT

    full = FasterWhisperSTT(MODELS / "whisper-base", short_context=False, languages=("en", "es"))
    try:
        short_pairs, full_pairs = [], []
        for p in EN_CLIPS:
            audio, ref = _read(p), p.with_suffix(".txt").read_text()
            short_pairs.append((ref, stt.transcribe(audio, "en").text))
            assert stt.last_path == "short"
            full_pairs.append((ref, full.transcribe(audio, "en").text))
            assert full.last_path == "full"
    finally:
        full.close()
    assert corpus_wer(short_pairs) <= 0.05, short_pairs
    assert corpus_wer(full_pairs) <= 0.05, full_pairs


def test_detection_picks_among_the_configured_languages() -> None:
    """The Spanish pangram is heard as Latin by a bare detector on a short window; ["en", "es"] keeps it Spanish."""
    from jarvis.stt.faster_whisper_backend import FasterWhisperSTT

    model = FasterWhisperSTT(MODELS / "whisper-base", languages=("en", "es"))
    try:
        result = model.transcribe(_read(SPEECH / "es" / "pangrama.wav"))
    finally:
        model.close()
    assert result.language == "es"


def test_unknown_code_in_languages_is_refused() -> None:
    from jarvis.stt.faster_whisper_backend import FasterWhisperSTT

    with pytest.raises(ConfigError):
        FasterWhisperSTT(MODELS / "whisper-base", languages=("en", "klingon"))


@pytest.mark.parametrize(
    ("text", "ratio_above"), [("yes " * 40, 2.4), ("What is the capital of France?", 0.0)]
)
def test_compression_ratio_flags_loops(text: str, ratio_above: float) -> None:
    from jarvis.stt.faster_whisper_backend import compression_ratio

    assert compression_ratio(text) > ratio_above
    if ratio_above == 0.0:
        assert compression_ratio(text) < 2.4


def test_quick_pass_never_falls_back_to_the_slow_one(stt) -> None:
    """Noise the short pass is unsure of gives empty text at once in quick mode (no 30 s window pass)."""
    rng = np.random.default_rng(3)
    noise = (rng.standard_normal(SAMPLE_RATE * 2) * 0.05).astype(np.float32)
    stt.transcribe(noise, "en", quick=True)
    assert stt.last_path in ("short", "none")  # "full" would be the slow 30 s pass


@pytest.mark.parametrize(
    ("text", "loops"),
    [
        ("Colamundo Colamundo Colamundo Colam", True),
        ("que hora es en magrid? que hora es en magrid", True),
        ("Tell me a short joke.", False),
        ("no no", False),
        ("very very good", False),
    ],
)
def test_repeats_itself(text: str, loops: bool) -> None:
    from jarvis.stt.faster_whisper_backend import repeats_itself

    assert repeats_itself(text) is loops


def test_a_looping_short_pass_is_retried_not_kept(stt) -> None:
    """With 1 s of trailing silence the cut window makes whisper repeat "Tell me a short joke." three
    times; the retry with 2 s ends properly, still on the fast path."""
    audio = _read(FIXTURES / "speech" / "questions" / "en-joke.wav")
    result = stt.transcribe(audio, "en")
    assert result.text == "Tell me a short joke."
    assert stt.last_path == "short"


@pytest.mark.parametrize(
    ("text", "broken"),
    [("He was not an old-s-----------------", True), ("aaaaaaaaaaa", True), ("Wait...", False),
     ("¿Qué hora es?", False), ("What is 2+2?", False)],
)
def test_degenerate_decodes_are_recognised(text: str, broken: bool) -> None:
    from jarvis.stt.faster_whisper_backend import is_degenerate

    assert is_degenerate(text) is broken


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Cuéntame un chiste corto. Cuéntame un chiste corto. Cuéntame un ch", "Cuéntame un chiste corto."),
        ("Tell me a joke. Tell me a joke.", "Tell me a joke."),
        ("¿Qué hora es? ¿Qué hora es? ¿Qué", "¿Qué hora es?"),
        ("Tell me a joke. Tell me a story.", None),  # two different sentences: not a loop
        ("Tell me a joke. Tell me a joke. And then", None),  # goes on with something else
        ("Tell me a joke", None),
        ("Colamundo Colamundo Colamundo Colam", None),  # no sentence to keep
    ],
)
def test_first_of_repeats_keeps_one_looped_sentence(text: str, kept: str | None) -> None:
    from jarvis.stt.faster_whisper_backend import first_of_repeats

    assert first_of_repeats(text) == kept


def test_a_sentence_looped_on_every_pad_is_kept_once_while_the_speaker_pauses(stt) -> None:
    """The Spanish joke request loops with 1 s and 2 s of trailing silence alike (measured); the quick
    pass the end-of-turn judge uses must still return it, or the turn waits for the silence limit."""
    import numpy as np

    audio = _read(FIXTURES / "speech" / "questions" / "es-chiste.wav")
    voiced = np.nonzero(np.abs(audio) > 0.01)[0]
    so_far = np.concatenate([audio[: voiced[-1] + 1], np.zeros(3200, np.float32)])  # 200 ms of quiet
    result = stt.transcribe(so_far, quick=True)
    assert result.text == "Cuéntame un chiste corto."
    assert result.language == "es"


def _es_hora_as_the_vad_cut_it() -> np.ndarray:
    """"que hora es en Madrid" as the live voice loop handed it to whisper (measured): the first 30 ms
    lost, 19 ms of quiet added after the end."""
    audio = _read(FIXTURES / "speech" / "questions" / "es-hora.wav")
    return np.concatenate([audio[480:], np.zeros(309, np.float32)])


def test_an_unsure_decode_of_real_speech_is_kept(stt) -> None:
    """Whisper-base says no speech 0.70 with log-prob -0.58 for this question: unsure, like text it
    makes up from hiss. Silero VAD hears 2 s of speech in it, so the text is kept (before, the turn
    was dropped as "heard no words")."""
    from jarvis.stt.faster_whisper_backend import speech_seconds

    audio = _es_hora_as_the_vad_cut_it()
    assert speech_seconds(audio) > 1.0
    for quick in (True, False):
        result = stt.transcribe(audio, quick=quick)
        assert "hora es en madrid" in result.text.lower()
        assert result.language == "es"


def test_silero_hears_no_speech_in_hiss_or_hum() -> None:
    from jarvis.stt.faster_whisper_backend import speech_seconds

    rng = np.random.default_rng(7)
    hiss = np.clip(rng.normal(0.0, 0.1, 2 * SAMPLE_RATE), -1, 1).astype(np.float32)
    hum = (0.2 * np.sin(2 * np.pi * 50 * np.arange(2 * SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)
    assert speech_seconds(hiss) == speech_seconds(hum) == 0.0


def test_unsure_text_is_dropped_only_without_speech() -> None:
    from types import SimpleNamespace

    from jarvis.stt.faster_whisper_backend import is_heard

    unsure = SimpleNamespace(text=" que hora es", no_speech_prob=0.7, avg_logprob=-0.58, compression_ratio=1.0)
    assert is_heard(unsure, lambda: True) is True
    assert is_heard(unsure, lambda: False) is False
    sure = SimpleNamespace(text=" que hora es", no_speech_prob=0.1, avg_logprob=-0.2, compression_ratio=1.0)
    asked: list[int] = []
    assert is_heard(sure, lambda: asked.append(1) or False) is True and not asked  # Silero not asked


def test_an_unsure_detection_leans_to_the_conversations_language(stt) -> None:
    """Kokoro's "¿Y la de Italia?" (a follow-up in a Spanish conversation) was heard as "I love Italy.":
    detected English at 0.46. With the conversation in Spanish both are decoded and the likelier kept;
    a sure detection is left alone."""
    from devsupport.voicekit import voice_models
    from jarvis.audio.wavio import resample

    _, voices = voice_models()
    spoken = voices.speak("¿Y la de Italia?", "es")
    audio = resample(np.asarray(spoken.audio, np.float32), spoken.sample_rate, SAMPLE_RATE)
    try:
        stt.prefer = None
        assert stt.transcribe(audio).language == "en"  # what it did before
        stt.prefer = "es"
        leaned = stt.transcribe(audio)
        assert leaned.language == "es" and "ital" in leaned.text.lower(), leaned
        stt.prefer = "en"  # a sure detection is not leaned: a clear Spanish question stays Spanish
        assert stt.transcribe(_read(SPEECH / "questions" / "es-capital.wav")).language == "es"
    finally:
        stt.prefer = None
