"""The voice loop: microphone -> VAD -> STT -> assistant -> sentence chunker -> TTS -> speaker.

:class:`VoiceLoop` wires the audio stages around an :class:`~jarvis.pipeline.runner.Assistant`:

- the VAD thread (:class:`~jarvis.audio.segmenter.Segmenter`) cuts utterances from the input;
- the STT stage transcribes them and submits turns (``source="voice"``, the detected language);
- the TTS stage listens to the bus, cuts the streamed reply into sentences and speaks each one
  while the model writes the next (or, with ``stream_tts=False``, only after the whole reply);
- the :class:`~jarvis.audio.playback.Player` plays them and reports what was heard.

Push-to-talk is a toggle (:meth:`ptt_toggle`), hands-free listens all the time
(:meth:`set_hands_free`). Barge-in (:meth:`barge_in`) stops the model and the speaker at once and
trims the history to the heard part. With open speakers (``audio.headset = false``) the
microphone is ignored while Jarvis speaks; with a headset, speech interrupts Jarvis.
:func:`run_voice_ask` runs one whole voice turn headless for ``jarvis ask --input``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jarvis.audio.events import HeardText, ListeningChanged
from jarvis.errors import AudioDeviceError, JarvisError
from jarvis.messages import (
    ReplyDone,
    SpeechChunk,
    StageError,
    StatusChange,
    TokenDelta,
    TurnTimings,
    Utterance,
)
from jarvis.pipeline.stage import Stage

log = logging.getLogger(__name__)

NO_MIC_HINT = "set audio.input_device (see `jarvis doctor`); keyboard chat still works"


class SttStage(Stage):
    """Utterance -> transcript -> ``assistant.submit_text`` (a voice turn with its timings)."""

    name = "stt"

    def __init__(self, loop: VoiceLoop) -> None:
        super().__init__(emit=lambda _: None, bus=loop.assistant.bus, maxsize=8)
        self.loop = loop

    def process(self, item: Utterance) -> Iterable[Any]:
        """Transcribe one utterance and submit it; silence or noise gives no turn."""
        loop = self.loop
        publish = self.bus.publish
        stt = loop.stt_model()
        publish(StatusChange("transcribing"))
        language = loop.settings.stt.language or None
        result = stt.transcribe(item.audio, language=language)
        loop.last_stt = result
        text = result.text.strip()
        if not _has_words(text):
            publish(StatusChange("idle"))
            publish(
                StageError(
                    "stt", "heard no words (silence or noise only); nothing was sent",
                    "speak closer to the microphone, or raise the VAD aggressiveness in audio.vad",
                )
            )
            loop.no_speech.set()
            return ()
        timings = TurnTimings(started=item.speech_end)
        timings.mark("speech_end", item.speech_end)
        timings.mark("transcript_ready")
        turn_id = loop.assistant.submit_text(text, "voice", result.language, timings=timings)
        loop.note_turn(turn_id, timings, result.language, text)
        return ()


def _has_words(text: str) -> bool:
    """True when the transcript holds at least one letter or digit (not just '...' or '[Music]')."""
    stripped = text.strip()
    if not stripped or (stripped.startswith(("[", "(")) and stripped.endswith(("]", ")"))):
        return False
    return any(ch.isalnum() for ch in stripped)


class TtsStage(Stage):
    """TokenDelta/ReplyDone (from the bus) -> sentences -> speech -> the player."""

    name = "tts"

    def __init__(self, loop: VoiceLoop) -> None:
        super().__init__(emit=lambda _: None, bus=loop.assistant.bus, maxsize=8192)
        self.loop = loop
        self._turn: int | None = None
        self._chunker: Any = None
        self._language: str | None = None
        self._failed_turn: int | None = None
        self._notes: set[str] = set()
        self.first_synth_s: dict[int, float] = {}

    def _begin(self, turn_id: int) -> None:
        from jarvis.tts.chunker import SentenceChunker

        self._turn = turn_id
        self._chunker = SentenceChunker(self.loop.settings.tts.clause_words)
        self._language = self.loop.turn_language.get(turn_id)

    def process(self, item: Any) -> Iterable[Any]:
        """Speak the sentences of the streamed reply as soon as each is complete."""
        loop = self.loop
        stale = loop.assistant.cancel.is_stale(item.generation)
        if item.turn_id != self._turn:
            self._begin(item.turn_id)
        if isinstance(item, TokenDelta):
            if not stale and loop.stream_tts:
                for sentence in self._chunker.feed(item.text):
                    self._speak(sentence, item)
            return ()
        # ReplyDone
        if not stale:
            if loop.stream_tts:
                pieces = self._chunker.flush()
            else:
                from jarvis.tts.chunker import speakable

                pieces = [speakable(item.text)]
            for sentence in pieces:
                self._speak(sentence, item)
        loop.player.end_turn(item.turn_id)
        self._turn = None
        return ()

    def _speak(self, text: str, item: Any) -> None:
        loop = self.loop
        if not text.strip() or self._failed_turn == item.turn_id:
            return
        if self._language is None:
            from jarvis.tts.language import guess_language

            self._language = guess_language(text, loop.settings.tts.default_language)
            loop.turn_language.setdefault(item.turn_id, self._language)
        try:
            spoken = loop.voice_set().speak(text, self._language)
        except JarvisError as exc:
            self._failed_turn = item.turn_id
            self.bus.publish(StageError("tts", exc.message, exc.hint, item.turn_id))
            return
        self.first_synth_s.setdefault(item.turn_id, spoken.seconds)
        if spoken.fell_back and spoken.note and spoken.note not in self._notes:
            self._notes.add(spoken.note)
            hint = "add a voice for that language in tts.voices (config.toml)"
            self.bus.publish(StageError("tts", spoken.note, hint, item.turn_id))
        if loop.assistant.cancel.is_stale(item.generation):
            return
        loop.player.put(SpeechChunk(spoken.audio, spoken.sample_rate, text, item.turn_id, item.generation))


class VoiceLoop:
    """Voice in and out around an assistant. Thread-safe, non-blocking control calls.

    Args:
        assistant: the running Assistant (its bus, cancel scope, conversation and settings are used).
        input_path: replay this WAV file as the microphone (None: the configured microphone).
        output_path: record the speech into this WAV file (None: the configured speaker).
        realtime_input / realtime_output: replay / record WAV files at real time (False: as fast as possible).
        hands_free: start listening continuously (default: ``audio.hands_free``).
        headset: the microphone does not hear the speaker (default: ``audio.headset``); speech
            then interrupts Jarvis (spoken barge-in).
        stream_tts: speak sentence by sentence while the reply streams (False: after the whole reply).
        merge_input: treat everything said until the input ends as one utterance (a question file).
        stt / voices: already loaded models to use (else loaded in the background on start).
        input / output: ready device objects (tests); override the paths and the config.
    """

    def __init__(
        self,
        assistant: Any,
        *,
        input_path: str | Path | None = None,
        output_path: str | Path | None = None,
        realtime_input: bool = True,
        realtime_output: bool = True,
        hands_free: bool | None = None,
        headset: bool | None = None,
        stream_tts: bool = True,
        merge_input: bool = False,
        stt: Any = None,
        voices: Any = None,
        input: Any = None,
        output: Any = None,
        use_input: bool = True,
        use_output: bool | None = None,
    ) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        audio = self.settings.audio
        self.hands_free = audio.hands_free if hands_free is None else hands_free
        self.headset = audio.headset if headset is None else headset
        self.stream_tts = stream_tts
        self.merge_input = merge_input
        self._input_path, self._output_path = input_path, output_path
        self._realtime_input, self._realtime_output = realtime_input, realtime_output
        self._input, self._output = input, output
        self._use_input = use_input
        self._use_output = self.settings.tts.enabled if use_output is None else use_output
        self._stt, self._voices = stt, voices
        self._owned: list[Any] = []  # models this loop loaded itself (close() frees only these)
        self._models_ready = threading.Event()
        self._model_error: JarvisError | None = None
        self.segmenter: Any = None
        self.player: Any = None
        self.stt_stage = SttStage(self)
        self.tts_stage = TtsStage(self)
        self.turn_language: dict[int, str | None] = {}
        self.turn_text: dict[int, str] = {}
        self.timings: dict[int, TurnTimings] = {}
        self.heard: dict[int, HeardText] = {}
        self.last_stt: Any = None
        self.no_speech = threading.Event()
        self.turn_submitted = threading.Event()
        self.last_turn_id: int | None = None
        self._first_audio: dict[int, float] = {}
        self._replied: set[int] = set()
        self._pending_heard: dict[int, str] = {}
        self._lock = threading.RLock()
        self._busy = False
        self._ptt_open = False
        self._started = False
        self._heard_events: queue.Queue = queue.Queue()

    # ------------------------------------------------------------------ models
    def _load_models(self) -> None:
        try:
            if self._stt is None and self.segmenter is not None:
                from jarvis.stt import load_stt

                self._stt = load_stt(self.settings, getattr(self.assistant, "plan", None))
                self._owned.append(self._stt)
            if self._voices is None and self.player is not None:
                from jarvis.tts.voices import VoiceSet

                placement = self.assistant.plan.get("tts") if hasattr(self.assistant, "plan") else None
                self._voices = VoiceSet(self.settings.tts, getattr(placement, "n_threads", 0) or 0)
                self._owned.append(self._voices)
                hint = "check the voice files (jarvis doctor)"
                for note in self._voices.preload((self._voices.default_language,)):
                    self.assistant.bus.publish(StageError("tts", note, hint))
        except JarvisError as exc:
            self._model_error = exc
            self.assistant.bus.publish(StageError("voice", exc.message, exc.hint))
        finally:
            self._models_ready.set()

    def stt_model(self) -> Any:
        """The speech recogniser (waits for the background load)."""
        self._models_ready.wait()
        if self._stt is None:
            raise self._model_error or JarvisError("speech recognition is not loaded", "see jarvis doctor")
        return self._stt

    def voice_set(self) -> Any:
        """The voices (waits for the background load)."""
        self._models_ready.wait()
        if self._voices is None:
            raise self._model_error or JarvisError("no voice is loaded", "see jarvis doctor")
        return self._voices

    # ------------------------------------------------------------------ start / stop
    def start(self) -> VoiceLoop:
        """Open the devices, start the threads, load STT/TTS in the background.

        A missing microphone is reported (StageError) and the loop speaks replies without listening;
        raises :class:`AudioDeviceError` only when neither a microphone nor a speaker can be used.
        """
        from jarvis.audio.capture import open_input, open_output
        from jarvis.audio.playback import Player
        from jarvis.audio.segmenter import Segmenter

        bus = self.assistant.bus
        audio = self.settings.audio
        input_error: JarvisError | None = None
        if self._use_input:
            try:
                source = self._input or open_input(audio, self._input_path, self._realtime_input)
                self.segmenter = Segmenter(
                    source, audio.vad, bus.publish, self.stt_stage.put,
                    generation=lambda: self.assistant.cancel.generation,
                    muted=self._muted,
                    on_speech_start=self._on_speech_start,
                    on_utterance=self._on_utterance,
                    merge=self.merge_input,
                    listening=self.hands_free or self.merge_input,
                )
            except JarvisError as exc:
                input_error = exc
        if self._use_output:
            try:
                out = self._output or open_output(audio, self._output_path, self._realtime_output)
                self.player = Player(
                    out, bus.publish,
                    is_stale=self.assistant.cancel.is_stale,
                    on_first_audio=self._on_first_audio,
                    on_turn_heard=self._on_heard,
                )
            except JarvisError as exc:
                if input_error is not None or not self._use_input:
                    raise
                bus.publish(StageError("audio", exc.message, exc.hint + "; replies are shown, not spoken"))
        if input_error is not None:
            if self.player is None:
                raise input_error
            bus.publish(StageError("audio", input_error.message, input_error.hint))
        bus.subscribe(self._on_event)
        self.stt_stage.start()
        if self.player is not None:
            self.player.start()
            self.tts_stage.start()
        if self.segmenter is not None:
            self.segmenter.start()
        threading.Thread(target=self._load_models, name="jarvis-voice-load", daemon=True).start()
        self._started = True
        self._publish_mode()
        return self

    def stop(self) -> None:
        """Stop listening and speaking, and free the devices (a WAV output is written now)."""
        if not self._started:
            return
        self._started = False
        # Native model loading must not be cut off by interpreter exit (it can crash the process).
        self._models_ready.wait(120)
        self.assistant.bus.unsubscribe(self._on_event)
        if self.segmenter is not None:
            self.segmenter.stop()
        self.stt_stage.stop(timeout=5)
        if self.player is not None:
            self.tts_stage.stop(timeout=5)
            self.player.close()
        self.assistant.bus.publish(ListeningChanged("off", False))

    def close(self) -> None:
        """Stop, and release the STT/TTS models this loop loaded (models passed in stay open)."""
        self.stop()
        for model in self._owned:
            if model is not None:
                try:
                    model.close()
                except Exception:  # pragma: no cover
                    log.debug("closing a voice model failed", exc_info=True)

    # ------------------------------------------------------------------ control
    @property
    def listening(self) -> bool:
        """True while the microphone is open (push-to-talk pressed or hands-free)."""
        return self.hands_free or self._ptt_open

    @property
    def speaking(self) -> bool:
        """True while Jarvis's voice plays."""
        return self.player is not None and self.player.speaking

    @property
    def busy(self) -> bool:
        """True while a reply is being prepared, generated or spoken."""
        return self._busy or self.speaking

    def _require_mic(self) -> None:
        if self.segmenter is None or self.segmenter.failed:
            why = self.segmenter.failed if self.segmenter is not None else "no microphone"
            raise AudioDeviceError(f"cannot listen: {why}", NO_MIC_HINT)

    def ptt_toggle(self) -> bool:
        """The push-to-talk key: interrupts Jarvis when it talks, else opens/closes the microphone.

        Returns whether the microphone is open afterwards. Raises AudioDeviceError without a microphone.
        """
        self._require_mic()
        if self.busy:
            self.barge_in()
            if not self.hands_free:
                self._set_ptt(True)
            return True
        if self.hands_free:
            self.segmenter.flush()
            return True
        self._set_ptt(not self._ptt_open)
        return self._ptt_open

    def set_hands_free(self, on: bool) -> None:
        """Listen continuously (True) or only while push-to-talk is open (False)."""
        self._require_mic()
        self.hands_free = on
        self._ptt_open = False
        self.segmenter.set_listening(on, flush=True)
        self._publish_mode()

    def _set_ptt(self, on: bool) -> None:
        self._ptt_open = on
        self.segmenter.set_listening(on, flush=True)
        self._publish_mode()

    def _publish_mode(self) -> None:
        if self.segmenter is None:
            self.assistant.bus.publish(ListeningChanged("off", False))
        elif self.hands_free:
            self.assistant.bus.publish(ListeningChanged("hands_free", True))
        else:
            self.assistant.bus.publish(ListeningChanged("ptt", self._ptt_open))

    def barge_in(self) -> dict[int, str]:
        """Cut Jarvis off now: stop playback and generation; the history keeps the heard part.

        Returns {turn_id: heard text} for the turns that were cut.
        """
        self.assistant.interrupt()
        heard = self.player.clear() if self.player is not None else {}
        with self._lock:
            self._busy = False
            for turn_id, text in heard.items():
                if turn_id in self._replied:
                    self._amend(turn_id, text)
                else:
                    self._pending_heard[turn_id] = text
        return heard

    def _amend(self, turn_id: int, text: str) -> None:
        try:
            self.assistant.conversation.amend_last_assistant(text, interrupted=True)
        except Exception:  # pragma: no cover - disk trouble must not break the loop
            log.exception("could not trim the history after barge-in")

    # ------------------------------------------------------------------ callbacks
    def _muted(self) -> bool:
        return not self.headset and self.speaking

    def _on_speech_start(self) -> None:
        if self.headset and self.speaking:
            self.barge_in()

    def _on_utterance(self, utt: Utterance) -> None:
        if self._ptt_open and not self.hands_free:
            self._ptt_open = False
            self.segmenter.set_listening(False, flush=False)
            self._publish_mode()

    def note_turn(self, turn_id: int, timings: TurnTimings, language: str | None, text: str) -> None:
        """Remember a voice turn just submitted (its timings, language and transcript)."""
        with self._lock:
            self.timings[turn_id] = timings
            self.turn_language[turn_id] = language
            self.turn_text[turn_id] = text
            self.last_turn_id = turn_id
            self._busy = True
        self.turn_submitted.set()

    def _on_first_audio(self, turn_id: int, when: float) -> None:
        with self._lock:
            timings = self.timings.get(turn_id)
            if timings is not None:
                timings.mark("first_audio_out", when)
            else:
                self._first_audio[turn_id] = when

    def _on_heard(self, ev: HeardText) -> None:
        with self._lock:
            self.heard[ev.turn_id] = ev
            if not ev.interrupted:
                self._busy = False
        self._heard_events.put(ev)

    def _on_event(self, ev: Any) -> None:
        """Bus observer (called from other threads; returns at once)."""
        if isinstance(ev, TokenDelta):
            if self.player is not None:
                self._put_tts(ev)
        elif isinstance(ev, ReplyDone):
            with self._lock:
                self._replied.add(ev.turn_id)
                if ev.timings is not None:
                    self.timings.setdefault(ev.turn_id, ev.timings)
                    if ev.turn_id in self._first_audio:
                        ev.timings.mark("first_audio_out", self._first_audio.pop(ev.turn_id))
                heard = self._pending_heard.pop(ev.turn_id, None)
                if heard is not None:
                    self._amend(ev.turn_id, heard)
                if self.player is None:
                    self._busy = False
            if self.player is not None:
                self._put_tts(ev)
        elif isinstance(ev, StatusChange) and ev.state in ("thinking", "generating"):
            self._busy = True
        elif isinstance(ev, StatusChange) and ev.state == "idle" and self.player is None:
            self._busy = False
        elif isinstance(ev, StageError) and ev.stage == "llm":
            self._busy = False

    def _put_tts(self, ev: Any) -> None:
        try:
            self.tts_stage.inbox.put_nowait(ev)
        except queue.Full:  # pragma: no cover - 8192 pieces queued: drop rather than block the model
            log.warning("TTS queue full; a piece of the reply is not spoken")

    # ------------------------------------------------------------------ headless helpers
    def wait_heard(self, turn_id: int, timeout: float) -> HeardText | None:
        """Wait until the reply of ``turn_id`` has been played (or cut); None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if turn_id in self.heard:
                    return self.heard[turn_id]
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                self._heard_events.get(timeout=min(left, 0.1))
            except queue.Empty:
                pass


# ---------------------------------------------------------------------- jarvis ask --input
def run_voice_ask(args: Any, settings: Any) -> int:
    """``jarvis ask --input q.wav [--output a.wav] [--json]``: see :mod:`jarvis.pipeline.voice_ask`."""
    from jarvis.pipeline.voice_ask import run_voice_ask as run

    return run(args, settings)
