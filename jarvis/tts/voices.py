"""The voice per language: :class:`VoiceSet` picks the engine for a reply's language and speaks.

``tts.voices`` maps a language to an engine (``piper`` or ``kokoro``). A language without a voice,
or whose engine cannot load, is spoken by the default language's voice and :class:`Spoken` says so.
Engines load lazily on first use and are cached; one lock serialises loading and speaking.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jarvis.errors import ConfigError, JarvisError
from jarvis.tts.base import TextToSpeech

if TYPE_CHECKING:
    from jarvis.config import TTSSettings

log = logging.getLogger(__name__)

ENGINES = ("piper", "kokoro")
WARM_UP_WORDS = {"en": "Hello.", "es": "Hola.", "fr": "Bonjour.", "de": "Hallo.", "it": "Ciao.", "pt": "Olá."}


@dataclass(frozen=True)
class Spoken:
    """Audio for one piece of text and which voice made it.

    ``fell_back`` is True when the language had no usable voice and the default one spoke;
    ``note`` is then a one-line message to show the user (empty otherwise).
    """

    audio: Any  # numpy float32 mono
    sample_rate: int
    voice: str
    language: str
    fell_back: bool = False
    note: str = ""
    seconds: float = 0.0

    @property
    def duration_s(self) -> float:
        """Length of the audio in seconds."""
        return len(self.audio) / self.sample_rate if self.sample_rate else 0.0


def voice_name(settings: TTSSettings, language: str) -> str:
    """Which voice speaks ``language`` under these settings, e.g. ``kokoro ef_dora`` (loads nothing)."""
    engine = settings.voices.get(language) or settings.voices.get(settings.default_language, "?")
    if engine == "kokoro":
        return f"kokoro {settings.kokoro_voice_for.get(language, settings.kokoro_voice)}"
    if engine == "piper":
        return f"piper {Path(settings.piper_model).name.removesuffix('.onnx')}"
    return engine


def normalise_language(language: str | None, default: str) -> str:
    """``"es-ES"`` -> ``"es"``; None or empty -> ``default``."""
    if not language:
        return default
    return language.strip().lower().replace("_", "-").split("-")[0] or default


def _voice_table(settings: TTSSettings) -> tuple[str, dict[str, str]]:
    """(default language, language -> engine) of ``settings``; ConfigError for an unknown engine or
    a default language without a voice."""
    bad = {lang: eng for lang, eng in settings.voices.items() if eng not in ENGINES}
    if bad:
        lang, eng = next(iter(bad.items()))
        raise ConfigError(
            f"tts.voices: unknown engine '{eng}' for language '{lang}'",
            f"use one of: {', '.join(ENGINES)}",
        )
    default = normalise_language(settings.default_language, "en")
    voices = {normalise_language(k, default): v for k, v in settings.voices.items()}
    if default not in voices:
        raise ConfigError(
            f"tts.default_language '{default}' has no voice in tts.voices",
            f"add {default} = \"piper\" (or \"kokoro\") to tts.voices",
        )
    return default, voices


class VoiceSet:
    """Every configured voice, loaded on demand.

    Args:
        settings: the ``[tts]`` section.
        threads: onnxruntime threads per engine (0 = library default), e.g. the plan's ``tts`` threads.

    Raises:
        ConfigError: ``tts.voices`` names an unknown engine or the default language has no voice.
    """

    def __init__(self, settings: TTSSettings, threads: int = 0) -> None:
        self.default_language, self.voices = _voice_table(settings)
        self.settings = settings
        self.threads = threads
        self._engines: dict[str, TextToSpeech] = {}
        self._broken: dict[str, JarvisError] = {}
        self._lock = threading.RLock()

    def retune(self, settings: TTSSettings) -> None:
        """Use these ``[tts]`` settings from now on (a profile's voice and speed).

        A loaded engine whose files stay the same keeps its model and takes the new styles and
        speed; one whose files change is closed and loads again on first use.

        Raises:
            ConfigError: an unknown engine or Kokoro style (the voices are then left as they were).
        """
        default_language, voices = _voice_table(settings)
        old = self.settings
        same_files = {
            "piper": old.piper_model == settings.piper_model,
            "kokoro": (old.kokoro_model, old.kokoro_voices, old.kokoro_styles)
            == (settings.kokoro_model, settings.kokoro_voices, settings.kokoro_styles),
        }
        with self._lock:
            kokoro = self._engines.get("kokoro")
            if kokoro is not None and same_files["kokoro"]:
                kokoro.restyle(settings.kokoro_voice, settings.kokoro_voice_for, settings.speed)  # type: ignore[attr-defined]
            piper = self._engines.get("piper")
            if piper is not None and same_files["piper"]:
                piper.set_speed(settings.speed)  # type: ignore[attr-defined]
            for name in [n for n, same in same_files.items() if not same]:
                engine = self._engines.pop(name, None)
                if engine is not None:
                    engine.close()
                self._broken.pop(name, None)
            self.settings, self.default_language, self.voices = settings, default_language, voices

    def engine(self, name: str) -> TextToSpeech:
        """The engine called ``name``, loading it on first use (errors are remembered, not retried)."""
        with self._lock:
            if name in self._engines:
                return self._engines[name]
            if name in self._broken:
                raise self._broken[name]
            try:
                engine = self._load(name)
            except JarvisError as exc:
                self._broken[name] = exc
                raise
            self._engines[name] = engine
            return engine

    def _load(self, name: str) -> TextToSpeech:
        s = self.settings
        if name == "piper":
            from jarvis.tts.piper_backend import PiperTTS

            return PiperTTS(s.piper_model, speed=s.speed, threads=self.threads)
        from jarvis.tts.kokoro_backend import KokoroTTS

        return KokoroTTS(
            s.kokoro_model, s.kokoro_voices, s.kokoro_voice, speed=s.speed, threads=self.threads,
            styles_dir=s.kokoro_styles, voice_for=s.kokoro_voice_for,
        )

    def choose(self, language: str | None) -> tuple[str, str, str]:
        """(engine name, language to speak, note) for ``language``; the note is empty when no fallback."""
        lang = normalise_language(language, self.default_language)
        if lang in self.voices:
            return self.voices[lang], lang, ""
        default = self.voices[self.default_language]
        note = f"no voice for language '{lang}'; speaking with the default {self.default_language} voice"
        return default, self.default_language, note

    def speak(self, text: str, language: str | None = None) -> Spoken:
        """Synthesise ``text`` with the voice for ``language``.

        Raises:
            ModelNotFound / ModelLoadError: the default voice itself cannot be used.
        """
        import numpy as np

        name, lang, note = self.choose(language)
        with self._lock:
            try:
                engine = self.engine(name)
            except JarvisError as exc:
                default = self.voices[self.default_language]
                if name == default:
                    raise
                note = f"the {lang} voice ({name}) is unavailable: {exc.message}; using the default voice"
                log.warning(note)
                name, lang, engine = default, self.default_language, self.engine(default)
            t0 = time.monotonic()
            audio = engine.synthesize(text, lang) if text.strip() else np.zeros(0, dtype=np.float32)
            seconds = time.monotonic() - t0
        return Spoken(audio, engine.sample_rate, name, lang, bool(note), note, seconds)

    def preload(self, languages: tuple[str, ...] | None = None) -> list[str]:
        """Load the engines for ``languages`` (default: every configured one); return notes for failures."""
        notes = []
        names = {self.choose(lang)[0] for lang in (languages or tuple(self.voices))}
        for name in sorted(names):
            try:
                self.engine(name)
            except JarvisError as exc:
                notes.append(exc.one_line())
        return notes

    @property
    def loaded(self) -> tuple[str, ...]:
        """Names of the engines loaded so far."""
        with self._lock:
            return tuple(sorted(self._engines))

    def warm_up(self) -> None:
        """Speak one short word in each configured language with every loaded engine (nothing is played)."""
        for lang in self.voices:
            try:
                self.speak(WARM_UP_WORDS.get(lang, "Hello."), lang)
            except JarvisError:  # the turn that needs the voice reports it
                log.debug("warming the %s voice failed", lang, exc_info=True)

    def close(self) -> None:
        """Release every loaded engine."""
        with self._lock:
            for engine in self._engines.values():
                engine.close()
            self._engines.clear()
