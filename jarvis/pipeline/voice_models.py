"""The voice's models in one holder: speech recognition, the voices, the wake word, the turn judge.

:class:`VoiceModels` loads and warms them in one background thread (``VoiceReady`` when done), so
the first spoken turn is as fast as the later ones; the stages ask for a model through
:meth:`VoiceModels.stt` / :meth:`VoiceModels.voices`, which wait for the load. Models handed in
already loaded (tests, benches) are used as they are and stay open on :meth:`VoiceModels.close`;
the ones it loaded itself are freed there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jarvis.audio.events import VoiceReady
from jarvis.config import Settings, TTSSettings
from jarvis.errors import JarvisError
from jarvis.messages import StageError

if TYPE_CHECKING:
    from jarvis.audio.wake_word import WakeWordDetector
    from jarvis.hardware import PlacementPlan
    from jarvis.pipeline.turn_judge import TurnJudge
    from jarvis.stt.base import SpeechToText
    from jarvis.tts.voices import VoiceSet

log = logging.getLogger(__name__)

LOAD_WAIT_S = 120  # closing waits this long for a load in progress (native loads must not be cut off)


def warm_up_stt(stt: SpeechToText) -> None:
    """One short decode of quiet noise: the recogniser's first call costs more than the later ones."""
    import numpy as np

    noise = (np.random.default_rng(0).standard_normal(16000) * 0.01).astype(np.float32)
    try:
        stt.transcribe(noise, "en", quick=True)
    except JarvisError:  # a real turn will report it
        log.debug("speech recognition warm-up failed", exc_info=True)


class VoiceModels:
    """Loads, warms and closes the voice's models.

    Args:
        settings: the settings (``stt``, ``tts``, ``audio.wake``).
        plan: the placement plan (the recogniser's device, the voices' threads).
        publish: where load errors and ``VoiceReady`` go (the event bus).
        stt / voices: already loaded models to use (else loaded by :meth:`load`).
        need_stt / need_voices: load the recogniser (there is a microphone) / the voices (a speaker).

    ``judge``, when set before :meth:`start`, is loaded with the others.
    """

    def __init__(
        self, settings: Settings, plan: PlacementPlan, publish: Callable[[Any], None], *,
        stt: SpeechToText | None = None, voices: VoiceSet | None = None, need_stt: bool = True,
        need_voices: bool = True,
    ) -> None:
        self.settings = settings
        self.plan = plan
        self.publish = publish
        self.judge: TurnJudge | None = None
        self._stt, self._voices = stt, voices
        self._need_stt, self._need_voices = need_stt, need_voices
        self._owned: list[Any] = []  # models loaded here (close() frees only these)
        self._ready = threading.Event()
        self._error: JarvisError | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Load and warm everything in a background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.load, name="jarvis-voice-load", daemon=True)
            self._thread.start()

    def _load_transcript_checks(self) -> None:
        """What a turn checks unsure transcripts with (jarvis.stt.understood, jarvis.llm.sense): the
        word lists (~0.2 s and ~35 MB a language) and, for English, the sentence scorer (~130 MB)."""
        from jarvis.stt.lexicon import preload

        stt = self.settings.stt
        preload([stt.language] if stt.language else stt.languages)
        if stt.sense_check and stt.language in ("", "en"):
            from jarvis.llm.sense import load as load_sense

            load_sense(stt.sense_check_model, getattr(self.plan.get("stt"), "n_threads", 0) or 0)

    def load(self) -> None:
        """Load and warm the models (a short decode, a word of each voice); then publish VoiceReady."""
        t0 = time.monotonic()
        try:
            if self._stt is None and self._need_stt:
                from jarvis.cuda import FALLBACK_HINT
                from jarvis.stt import load_stt

                publish = self.publish  # a GPU that fails: one line in the chat, the CPU takes over
                self._stt = load_stt(
                    self.settings, self.plan, lambda line: publish(StageError("stt", line, FALLBACK_HINT))
                )
                self._owned.append(self._stt)
                warm_up_stt(self._stt)
            if self._need_stt:  # also when a recogniser was handed in; each loads once per process
                self._load_transcript_checks()
            if self._voices is None and self._need_voices:
                from jarvis.tts.voices import VoiceSet

                placement = self.plan.get("tts")
                self._voices = VoiceSet(self.settings.tts, getattr(placement, "n_threads", 0) or 0)
                self._owned.append(self._voices)
                hint = "check the voice files (jarvis doctor)"
                for note in self._voices.preload():  # every language's voice: the first Spanish turn too
                    self.publish(StageError("tts", note, hint))
                self._voices.warm_up()
        except JarvisError as exc:
            self._error = exc
            self.publish(StageError("voice", exc.message, exc.hint, cause=exc))
        finally:
            if self.judge is not None:
                self.judge.load()  # its own errors surface on the first check (the VAD falls back)
            self._ready.set()
            self.publish(VoiceReady(time.monotonic() - t0, self._error is None))

    @property
    def stt_loaded(self) -> bool:
        """True once the recogniser is loaded and warm (no waiting)."""
        return self._ready.is_set() and self._stt is not None

    def stt(self) -> SpeechToText:
        """The speech recogniser (waits for the background load)."""
        self._ready.wait()
        if self._stt is None:
            raise self._error or JarvisError("speech recognition is not loaded", "see jarvis doctor")
        return self._stt

    def voices(self) -> VoiceSet:
        """The voices (waits for the background load)."""
        self._ready.wait()
        if self._voices is None:
            raise self._error or JarvisError("no voice is loaded", "see jarvis doctor")
        return self._voices

    def wake_detector(self) -> WakeWordDetector:
        """Load the wake-word detector now (about 0.2 s). Raises ModelNotFound / ModelLoadError."""
        from jarvis.audio.wake_word import WakeWordDetector

        wake = self.settings.audio.wake
        detector = WakeWordDetector(wake.model, wake.threshold, wake.refractory_s)
        self._owned.append(detector)
        return detector

    def retune(self, tts: TTSSettings) -> None:
        """Speak with ``tts``' voices and speed from now on (a profile switch); loaded models stay.

        Raises:
            ConfigError: a voice or style that cannot be used (nothing changes).
        """
        if self._ready.is_set():
            if self._voices is not None:
                self._voices.retune(tts)
            return

        def retune_when_loaded() -> None:  # still loading: retune once loaded
            self._ready.wait()
            if self._voices is not None:
                try:
                    self._voices.retune(tts)
                except JarvisError as exc:
                    self.publish(StageError("tts", exc.message, exc.hint))

        threading.Thread(target=retune_when_loaded, name="jarvis-voice-retune", daemon=True).start()

    def wait(self, timeout: float = LOAD_WAIT_S) -> None:
        """Wait for a load in progress (native model loading must not be cut off by interpreter exit)."""
        if self._thread is not None:
            self._ready.wait(timeout)

    def close(self) -> None:
        """Wait for the load, then free the models loaded here (models handed in stay open)."""
        self.wait()
        for model in self._owned:
            try:
                model.close()
            except Exception:  # pragma: no cover
                log.debug("closing a voice model failed", exc_info=True)
        self._owned.clear()
