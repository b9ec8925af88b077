"""Kokoro (82M, ONNX) through kokoro-onnx: many languages, espeak-ng phonemes shipped by espeakng-loader."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from jarvis.errors import ConfigError, ModelLoadError, ModelNotFound
from jarvis.onnx_session import cpu_session
from jarvis.tts.base import TextToSpeech

log = logging.getLogger(__name__)

# Our language codes -> the espeak-ng language names Kokoro's phonemiser takes.
ESPEAK_LANG = {
    "en": "en-us",
    "es": "es",
    "fr": "fr-fr",
    "it": "it",
    "pt": "pt-br",
    "hi": "hi",
    "ja": "ja",
    "zh": "cmn",
    "de": "de",
}


def load_styles(voices_path: Path, styles_dir: Path | None) -> dict[str, Any]:
    """Every voice style: the arrays in ``voices.npz`` plus each ``<name>.bin`` in ``styles_dir``."""
    import numpy as np

    with np.load(voices_path) as npz:
        styles = {name: npz[name] for name in npz.files}
    if styles_dir is not None and Path(styles_dir).is_dir():
        for path in sorted(Path(styles_dir).glob("*.bin")):
            data = np.fromfile(path, dtype="<f4")
            if data.size % 256:
                raise ModelLoadError(f"{path.name} is not a Kokoro voice style", "run ./install.sh again")
            styles[path.stem] = data.reshape(-1, 1, 256)
    return styles


def style_names(voices_path: Path, styles_dir: Path | None) -> list[str]:
    """The names of the installed styles (``voices.npz`` keys and ``<name>.bin`` files), no arrays read;
    [] when the voices file is missing."""
    import zipfile

    try:
        with zipfile.ZipFile(voices_path) as npz:
            names = [n.removesuffix(".npy") for n in npz.namelist()]
    except (OSError, zipfile.BadZipFile):
        return []
    if styles_dir is not None and Path(styles_dir).is_dir():
        names += [path.stem for path in sorted(Path(styles_dir).glob("*.bin"))]
    return names


class KokoroTTS(TextToSpeech):
    """Kokoro with one voice style, speaking whatever language it is asked for.

    Args:
        model_path: ``kokoro-*.onnx``.
        voices_path: the ``voices.npz`` holding the styles.
        voice: the style for languages without their own (a key of ``voices.npz`` or a file in ``styles_dir``).
        styles_dir: a folder of more styles, ``<name>.bin`` (raw float32, 510 x 1 x 256, as npm kokoro-js ships).
        voice_for: the style per language code (``{"es": "ef_dora"}``).
        speed: 1.0 is normal pace.
        threads: onnxruntime intra-op threads (0 = library default).

    Raises:
        ModelNotFound: a file is missing.
        ConfigError: ``voice`` is not in ``voices.npz`` (the message lists the styles there).
        ModelLoadError: onnxruntime or kokoro-onnx refused the files.
    """

    name = "kokoro"
    languages = tuple(ESPEAK_LANG)

    def __init__(
        self, model_path: Path, voices_path: Path, voice: str, speed: float = 1.0, threads: int = 0,
        styles_dir: Path | None = None, voice_for: dict[str, str] | None = None,
    ) -> None:
        model_path, voices_path = Path(model_path), Path(voices_path)
        for p in (model_path, voices_path):
            if not p.is_file():
                raise ModelNotFound(
                    f"Kokoro file not found: {p}",
                    "run ./install.sh to fetch the voices, or set tts.kokoro_model / tts.kokoro_voices",
                )
        t0 = time.monotonic()
        try:
            from kokoro_onnx import Kokoro

            self._kokoro: Any = Kokoro.from_session(cpu_session(model_path, threads), str(voices_path))
        except ImportError as exc:  # pragma: no cover - dependencies of the package
            from jarvis.errors import MissingDependency

            raise MissingDependency(f"{exc.name} is not installed", "run ./install.sh") from exc
        except Exception as exc:
            raise ModelLoadError(
                f"cannot load Kokoro from {model_path.name}: {exc}", "run ./install.sh to restore the files"
            ) from None
        self._kokoro.voices = load_styles(voices_path, styles_dir)
        styles = self._kokoro.get_voices()
        self.voice_for = dict(voice_for or {})
        for key, name in (("kokoro_voice", voice), *((f"kokoro_voice_for.{k}", v) for k, v in self.voice_for.items())):
            if name not in styles:
                raise ConfigError(
                    f"tts.{key} '{name}' is not an installed Kokoro style",
                    f"use one of: {', '.join(styles)} (./install.sh installs the Spanish and English ones)",
                )
        self.voice = voice
        self.speed = speed
        self.sample_rate = 24000
        self.load_seconds = time.monotonic() - t0

    def restyle(self, voice: str, voice_for: dict[str, str], speed: float) -> None:
        """Speak with other styles and speed from now on (a profile switch); the model stays loaded.

        Raises:
            ConfigError: a style that is not installed (nothing is changed then).
        """
        styles = self._kokoro.get_voices()
        for key, name in (("kokoro_voice", voice), *((f"kokoro_voice_for.{k}", v) for k, v in voice_for.items())):
            if name not in styles:
                raise ConfigError(
                    f"tts.{key} '{name}' is not an installed Kokoro style",
                    f"use one of: {', '.join(styles)} (./install.sh installs the Spanish and English ones)",
                )
        self.voice, self.voice_for, self.speed = voice, dict(voice_for), speed

    def synthesize(self, text: str, language: str | None = None) -> Any:
        """Speak ``text`` in ``language`` (default English)."""
        import numpy as np

        text = text.strip()
        if not text:
            return np.zeros(0, dtype=np.float32)
        code = (language or "en").lower().split("-")[0]
        lang = ESPEAK_LANG.get(code, "en-us")
        try:
            style = self.voice_for.get(code, self.voice)
            audio, rate = self._kokoro.create(text, voice=style, speed=self.speed, lang=lang)
        except Exception as exc:
            raise ModelLoadError(f"Kokoro failed to speak: {exc}", "see the log file for details") from None
        self.sample_rate = int(rate)
        return np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)

    def close(self) -> None:
        """Drop the onnxruntime session."""
        self._kokoro = None
