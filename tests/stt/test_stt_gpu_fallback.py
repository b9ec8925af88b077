"""Speech recognition asked to use a GPU it cannot use: it runs on the CPU and says why in one line.

This machine has no NVIDIA GPU, so asking CTranslate2 for "cuda" fails for real (first test).
Missing cuDNN and running out of GPU memory mid-session are simulated: the library check is told
a library is missing, and the loaded model is swapped for one whose every call raises the error
CTranslate2 raises when CUDA runs out of memory.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from devsupport.paths import FIXTURES, MODELS
from jarvis import cuda
from jarvis.config import Settings, STTSettings
from jarvis.errors import ModelLoadError
from jarvis.stt import SAMPLE_RATE, load_stt
from jarvis.stt.faster_whisper_backend import FasterWhisperSTT
from tests.support.wer import wer

TINY = MODELS / "whisper-tiny.en"
CLIP = FIXTURES / "speech" / "en" / "librivox-0870.wav"


def _audio():
    from jarvis.audio.wavio import read_wav

    return read_wav(CLIP, SAMPLE_RATE)


def _check_heard(stt: FasterWhisperSTT) -> None:
    text = stt.transcribe(_audio(), "en").text
    assert wer(CLIP.with_suffix(".txt").read_text(), text) <= 0.2, text


def test_cuda_without_a_gpu_falls_back_to_the_cpu_for_real(caplog: pytest.LogCaptureFixture):
    lines: list[str] = []
    settings = Settings(stt=STTSettings(model=TINY, device="cuda", compute_type="auto", languages=[]))
    with caplog.at_level(logging.WARNING, logger="jarvis.notice"):
        stt = load_stt(settings, on_fallback=lines.append)
    try:
        assert stt.device == "cpu" and stt.compute_type == "int8"
        assert lines == [stt.fallback_note]
        assert lines[0].startswith("speech recognition runs on the CPU instead of cuda: ")
        assert "\n" not in lines[0] and len(lines[0]) < 200
        assert [r.getMessage() for r in caplog.records if r.name == "jarvis.notice"] == lines
        _check_heard(stt)
    finally:
        stt.close()


def test_missing_cudnn_is_caught_before_ctranslate2_touches_the_gpu(monkeypatch: pytest.MonkeyPatch):
    asked: list[str] = []
    real = FasterWhisperSTT._load

    def load(self, device: str, compute_type: str):
        asked.append(device)
        return real(self, device, compute_type)

    monkeypatch.setattr(cuda, "driver_present", lambda: True)
    monkeypatch.setattr(cuda, "missing", lambda engine: ["libcudnn_ops.so.9"] if engine == "ctranslate2" else [])
    monkeypatch.setattr(FasterWhisperSTT, "_load", load)
    lines: list[str] = []
    stt = FasterWhisperSTT(TINY, device="cuda:1", compute_type="float16", on_fallback=lines.append)
    try:
        assert asked == ["cpu"]  # the GPU was never tried: a missing cuDNN aborts CTranslate2
        assert lines == [
            "speech recognition runs on the CPU instead of cuda:1: "
            "libcudnn_ops.so.9 not found (pip install nvidia-cudnn-cu12)"
        ]
        _check_heard(stt)
    finally:
        stt.close()


def _oom(*args, **kwargs):
    raise RuntimeError("CUDA failed with error out of memory")


def test_out_of_gpu_memory_mid_session_moves_to_the_cpu_and_answers(monkeypatch: pytest.MonkeyPatch):
    lines: list[str] = []
    stt = FasterWhisperSTT(TINY, device="cpu", on_fallback=lines.append)
    try:
        real = stt._model
        # as if the model sat on cuda:0 and the GPU then ran out of memory
        stt.device = "cuda:0"
        stt._model = SimpleNamespace(
            feature_extractor=real.feature_extractor, hf_tokenizer=real.hf_tokenizer,
            model=SimpleNamespace(encode=_oom, detect_language=_oom, generate=_oom, is_multilingual=False),
            transcribe=_oom,
        )
        _check_heard(stt)
        assert stt.device == "cpu" and stt._model is not real
        assert lines == ["speech recognition runs on the CPU instead of cuda:0: out of GPU memory"]
        _check_heard(stt)  # later turns stay on the CPU, no second line
        assert len(lines) == 1
    finally:
        stt.close()


def test_an_error_that_is_not_cuda_stays_an_error(monkeypatch: pytest.MonkeyPatch):
    stt = FasterWhisperSTT(TINY, device="cpu")
    try:
        def broken(*args, **kwargs):
            raise RuntimeError("unsupported audio window")

        stt._model = SimpleNamespace(
            feature_extractor=stt._model.feature_extractor, model=SimpleNamespace(encode=broken), transcribe=broken,
        )
        with pytest.raises(ModelLoadError, match="speech recognition failed: unsupported audio window"):
            stt.transcribe(_audio(), "en")
        assert stt.device == "cpu" and not stt.fallback_note
    finally:
        stt.close()
