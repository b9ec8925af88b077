"""Piper voices (VITS exported to ONNX) through piper-tts, offline (espeak-ng data ships in the wheel)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from jarvis.errors import ModelLoadError, ModelNotFound
from jarvis.onnx_session import cpu_session
from jarvis.tts.base import TextToSpeech

log = logging.getLogger(__name__)

_SENTENCE_GAP_S = 0.12


class PiperTTS(TextToSpeech):
    """One Piper voice.

    Args:
        model_path: the voice ``.onnx``; its config is ``<model>.onnx.json`` beside it.
        speed: 1.0 is the voice's own pace; 1.25 speaks a quarter faster.
        threads: onnxruntime intra-op threads (0 = library default).

    Raises:
        ModelNotFound: the ``.onnx`` or its ``.json`` is missing.
        ModelLoadError: onnxruntime or piper refused the files.
    """

    name = "piper"

    def __init__(self, model_path: Path, speed: float = 1.0, threads: int = 0) -> None:
        model_path = Path(model_path)
        config_path = model_path.with_name(model_path.name + ".json")
        for p in (model_path, config_path):
            if not p.is_file():
                raise ModelNotFound(
                    f"Piper voice file not found: {p}",
                    "run ./install.sh to fetch the voices, or set tts.piper_model in config.toml",
                )
        t0 = time.monotonic()
        try:
            from piper import PiperVoice
            from piper.config import PiperConfig, SynthesisConfig

            config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
            self._voice: Any = PiperVoice(session=cpu_session(model_path, threads), config=config)
        except ImportError as exc:  # pragma: no cover - dependencies of the package
            from jarvis.errors import MissingDependency

            raise MissingDependency(f"{exc.name} is not installed", "run ./install.sh") from exc
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelLoadError(
                f"cannot load Piper voice {model_path.name}: {exc}",
                "run ./install.sh to restore the voice files",
            ) from None
        self._syn = SynthesisConfig(length_scale=1.0 / speed, volume=0.9)
        self.sample_rate = int(config.sample_rate)
        self.model_path = model_path
        self.espeak_voice = str(config.espeak_voice)
        self.languages = (self.espeak_voice.split("-")[0],)
        self.load_seconds = time.monotonic() - t0

    def set_speed(self, speed: float) -> None:
        """Speak at ``speed`` from now on (1.0 = the voice's own pace)."""
        from piper.config import SynthesisConfig

        self._syn = SynthesisConfig(length_scale=1.0 / speed, volume=0.9)

    def synthesize(self, text: str, language: str | None = None) -> Any:
        """Speak ``text`` in this voice's language (``language`` is informational for Piper)."""
        import numpy as np

        text = text.strip()
        if not text:
            return np.zeros(0, dtype=np.float32)
        gap = np.zeros(int(self.sample_rate * _SENTENCE_GAP_S), dtype=np.float32)
        parts: list[Any] = []
        try:
            for chunk in self._voice.synthesize(text, self._syn):
                if parts:
                    parts.append(gap)
                parts.append(np.asarray(chunk.audio_float_array, dtype=np.float32).reshape(-1))
        except Exception as exc:
            raise ModelLoadError(f"Piper failed to speak: {exc}", "see the log file for details") from None
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def close(self) -> None:
        """Drop the onnxruntime session."""
        self._voice = None
