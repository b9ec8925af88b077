"""The voice loop: microphone -> VAD -> STT -> assistant -> sentence chunker -> TTS -> speaker.

:class:`VoiceLoop` wires the audio stages around an :class:`~jarvis.pipeline.runner.Assistant`:

- the VAD thread (:class:`~jarvis.audio.segmenter.Segmenter`) cuts utterances from the input;
- the :class:`~jarvis.pipeline.stt_stage.SttStage` transcribes them and submits voice turns;
- the :class:`~jarvis.pipeline.tts_stage.TtsStage` follows the turn on the bus and speaks each
  sentence while the model writes the next;
- the :class:`~jarvis.audio.playback.Player` plays them and publishes what was heard.

Three listening modes (``audio.mode``, :meth:`VoiceLoop.set_mode`): push-to-talk is a toggle
(:meth:`VoiceLoop.ptt_toggle`); hands-free listens all the time; wake word listens all the time
but takes a turn only after "hey jarvis" (a :class:`~jarvis.audio.wake_listener.WakeListener` in
the VAD thread: a chime and ``WakeDetected`` when it wakes, ``WakeScore`` live, and a follow-up
window after each reply). Barge-in (:meth:`VoiceLoop.barge_in`) stops the model and the speaker at
once and trims the history to the heard part. How Jarvis keeps from hearing itself
(:mod:`jarvis.audio.echo_plan`): with a headset (``audio.speakers = "headset"``) or with open
speakers and echo cancellation (the microphone wrapped in
:class:`~jarvis.audio.echo_input.EchoCancelledInput`, the speaker's blocks as its reference), the
microphone stays open and speech interrupts Jarvis (in wake-word mode, the wake word does); with
open speakers and no echo cancellation it is ignored while Jarvis speaks. With echo cancellation,
the first sign of the user's voice over Jarvis's pauses it at once, before the VAD confirms the
barge-in (:mod:`jarvis.audio.barge_in`; a false alarm resumes it; ``BargeInPause`` says which).
Every fact of a turn rides on its messages (see :mod:`jarvis.messages`); the loop keeps none.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jarvis.audio.barge_in import PAUSE, RESUME, PauseGate
from jarvis.audio.events import BargeInPause, HeardText, ListeningChanged, VoiceReady
from jarvis.config import AudioMode, EchoCancel, Settings, Speakers
from jarvis.errors import AudioDeviceError, JarvisError
from jarvis.heap import trim_heap
from jarvis.messages import (
    Announcement,
    Filler,
    ReplyDone,
    StageError,
    StatusChange,
    StopRequested,
    TokenDelta,
    Transcript,
)
from jarvis.pipeline.stt_stage import SttStage
from jarvis.pipeline.turn_judge import TurnJudge

if TYPE_CHECKING:
    from jarvis.audio.echo_input import EchoCancelledInput
    from jarvis.audio.echo_reference import EchoReference
    from jarvis.audio.playback import Player
    from jarvis.audio.segmenter import Segmenter
    from jarvis.audio.wake_listener import WakeListener
    from jarvis.audio.wake_word import WakeDetection
    from jarvis.pipeline.runner import Assistant
    from jarvis.pipeline.tts_stage import TtsStage
    from jarvis.stt.base import SpeechToText
    from jarvis.tts.voices import VoiceSet

log = logging.getLogger(__name__)

NO_MIC_HINT = "set audio.input_device (see `jarvis doctor`); keyboard chat still works"


def warm_up_stt(stt: SpeechToText) -> None:
    """One short decode of quiet noise: the recogniser's first call costs more than the later ones."""
    import numpy as np

    noise = (np.random.default_rng(0).standard_normal(16000) * 0.01).astype(np.float32)
    try:
        stt.transcribe(noise, "en", quick=True)
    except JarvisError:  # a real turn will report it
        log.debug("speech recognition warm-up failed", exc_info=True)


class VoiceLoop:
    """Voice in and out around an assistant. Thread-safe, non-blocking control calls.

    Args:
        assistant: the running Assistant (its bus, cancel scope, conversation and settings are used).
        input_path: replay this WAV file as the microphone (None: the configured microphone).
        output_path: record the speech into this WAV file (None: the configured speaker).
        realtime_input / realtime_output: replay / record WAV files at real time (False: as fast as possible).
        mode: how to listen: ``ptt``, ``hands_free`` or ``wake_word`` (default: ``audio.mode``).
        hands_free: True is ``mode="hands_free"``, False ``mode="ptt"`` (when ``mode`` is not given).
        speakers: ``headset`` (the microphone does not hear the speaker) or ``open`` (default:
            ``audio.speakers``); see :mod:`jarvis.audio.echo_plan`.
        echo_cancel: ``auto``, ``on`` or ``off`` for open speakers (default: ``audio.echo_cancel``).
        headset: the old switch: True is ``speakers="headset"``, False ``speakers="open"``.
        stream_tts: speak sentence by sentence while the reply streams (False: after the whole reply).
        merge_input: treat everything said until the input ends as one utterance (a question file;
            no wake word needed).
        stt / voices: already loaded models to use (else loaded in the background on start).
        input / output: ready device objects (tests); override the paths and the config.
        use_input / use_output: open the microphone / the speaker at all.
    """

    def __init__(
        self,
        assistant: Assistant,
        *,
        input_path: str | Path | None = None,
        output_path: str | Path | None = None,
        realtime_input: bool = True,
        realtime_output: bool = True,
        mode: AudioMode | None = None,
        hands_free: bool | None = None,
        headset: bool | None = None,
        speakers: Speakers | None = None,
        echo_cancel: EchoCancel | None = None,
        stream_tts: bool = True,
        merge_input: bool = False,
        stt: SpeechToText | None = None,
        voices: VoiceSet | None = None,
        input: Any = None,
        output: Any = None,
        use_input: bool = True,
        use_output: bool | None = None,
    ) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        audio = self.settings.audio
        if mode is None:
            mode = audio.mode if hands_free is None else "hands_free" if hands_free else "ptt"
        if merge_input and mode == "wake_word":
            mode = "hands_free"
        self.mode: AudioMode = mode
        # what the hands-free key turns on: the configured hands-free mode (plain hands-free by default)
        self._hands_free_mode: AudioMode = next(m for m in (mode, audio.mode, "hands_free") if m != "ptt")
        self.wake: WakeListener | None = None
        self._cue_until = 0.0  # the wake chime plays until then (it is no reply: the mic stays open)
        if speakers is None:
            speakers = audio.speakers if headset is None else "headset" if headset else "open"
        self.speakers: Speakers = speakers
        self.echo_cancel: EchoCancel = audio.echo_cancel if echo_cancel is None else echo_cancel
        self.echo: EchoCancelledInput | None = None  # the echo-cancelled microphone, when in use
        self._reference: EchoReference | None = None  # what the speaker played (the echo's reference)
        self._unconfirmed = False  # the VAD started over the echo, with no sign of the user yet
        barge = audio.barge_in  # the provisional barge-in (open speakers with echo cancellation)
        self._gate = PauseGate.from_ms(barge.pause_ms, barge.resume_ms, audio.vad.frame_ms) if barge.pause else None
        self._frame_ms = audio.vad.frame_ms
        self._pause_max_s = barge.resume_ms / 1000 + 0.25  # the player resumes by itself after this
        self._talk_at_pause = 0  # double-talk blocks counted when the voice was paused
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
        self.segmenter: Segmenter | None = None
        self.player: Player | None = None
        self.stt_stage = SttStage(assistant, self.stt_model, self._turn_submitted)
        turn = self.settings.audio.turn
        # the end-of-turn judge (Smart Turn + the transcript so far); a question file is one turn anyway
        self.judge = TurnJudge(turn, self.stt_stage.speculate) if turn.enabled and not merge_input else None
        self.tts_stage: TtsStage | None = None
        self._busy = False
        self._ptt_open = False
        self._started = False

    # ------------------------------------------------------------------ models
    def _load_models(self) -> None:
        """Load (and warm) the models this loop needs, in the background; then say voice is ready.

        Everything is warmed with one small run (a short decode, a word of each voice) so the first
        spoken turn is as fast as the later ones; turns that arrive meanwhile wait for it.
        """
        t0 = time.monotonic()
        try:
            if self._stt is None and self.segmenter is not None:
                from jarvis.cuda import FALLBACK_HINT
                from jarvis.stt import load_stt

                bus = self.assistant.bus  # a GPU that fails: one line in the chat, the CPU takes over
                self._stt = load_stt(
                    self.settings, self.assistant.plan, lambda line: bus.publish(StageError("stt", line, FALLBACK_HINT))
                )
                self._owned.append(self._stt)
                warm_up_stt(self._stt)
            if self._voices is None and self.player is not None:
                from jarvis.tts.voices import VoiceSet

                placement = self.assistant.plan.get("tts")
                self._voices = VoiceSet(self.settings.tts, getattr(placement, "n_threads", 0) or 0)
                self._owned.append(self._voices)
                hint = "check the voice files (jarvis doctor)"
                for note in self._voices.preload():  # every language's voice: the first Spanish turn too
                    self.assistant.bus.publish(StageError("tts", note, hint))
                self._voices.warm_up()
        except JarvisError as exc:
            self._model_error = exc
            self.assistant.bus.publish(StageError("voice", exc.message, exc.hint, cause=exc))
        finally:
            if self.judge is not None:
                self.judge.load()  # its own errors surface on the first check (the VAD falls back)
            self._models_ready.set()
            self.assistant.bus.publish(VoiceReady(time.monotonic() - t0, self._model_error is None))

    def stt_model(self) -> SpeechToText:
        """The speech recogniser (waits for the background load)."""
        self._models_ready.wait()
        if self._stt is None:
            raise self._model_error or JarvisError("speech recognition is not loaded", "see jarvis doctor")
        return self._stt

    def voice_set(self) -> VoiceSet:
        """The voices (waits for the background load)."""
        self._models_ready.wait()
        if self._voices is None:
            raise self._model_error or JarvisError("no voice is loaded", "see jarvis doctor")
        return self._voices

    def use_settings(self, settings: Settings) -> None:
        """Speak with ``settings``' voices and speed from now on (a profile switch); the microphone
        stays open and the loaded models stay loaded (a voice given in ``voices=`` is retuned too).

        Raises:
            ConfigError: a voice or style in ``settings.tts`` that cannot be used (nothing changes).
        """
        if self._models_ready.is_set():
            if self._voices is not None:
                self._voices.retune(settings.tts)
        else:  # still loading: retune once loaded
            def retune_when_loaded() -> None:
                self._models_ready.wait()
                if self._voices is not None:
                    try:
                        self._voices.retune(settings.tts)
                    except JarvisError as exc:
                        self.assistant.bus.publish(StageError("tts", exc.message, exc.hint))

            threading.Thread(target=retune_when_loaded, name="jarvis-voice-retune", daemon=True).start()
        self.settings = settings
        if self.tts_stage is not None:
            self.tts_stage.settings = settings.tts

    # ------------------------------------------------------------------ start / stop
    def start(self) -> VoiceLoop:
        """Open the devices, start the threads, load STT/TTS in the background.

        A missing microphone is reported (StageError) and the loop speaks replies without listening;
        raises :class:`AudioDeviceError` only when neither a microphone nor a speaker can be used.
        """
        from jarvis.audio.capture import open_input, open_output
        from jarvis.audio.playback import Player
        from jarvis.audio.segmenter import Segmenter
        from jarvis.pipeline.tts_stage import TtsStage

        bus = self.assistant.bus
        audio = self.settings.audio
        input_error: JarvisError | None = None
        if self._use_input:
            try:
                source = self._guard_echo(self._input or open_input(audio, self._input_path, self._realtime_input))
                if self.mode == "wake_word":
                    self._start_wake(source.sample_rate)
                self.segmenter = Segmenter(
                    source, audio.vad, bus.publish, self._emit,
                    generation=lambda: self.assistant.cancel.generation,
                    muted=self._muted,
                    on_speech_start=self._on_speech_start,
                    on_frame=self._on_frame if self._gate is not None else None,
                    on_utterance=self._on_utterance,
                    merge=self.merge_input,
                    listening=self.hands_free or self.merge_input,
                    judge=self.judge,
                    on_partial=self._partial if audio.turn.partial_every_ms else None,
                    turn=audio.turn,
                    wake=self.wake if self.mode == "wake_word" else None,
                )
            except JarvisError as exc:
                input_error = exc
        if self._use_output:
            try:
                out = self._output or open_output(audio, self._output_path, self._realtime_output)
                reference = self._reference if self._reference is not None and out.live else None
                if reference is not None:
                    reference.set_output_rate(out.sample_rate)
                self.player = Player(
                    out, bus.publish, is_stale=self.assistant.cancel.is_stale,
                    reference=reference.push if reference is not None else None,
                )
                self.tts_stage = TtsStage(
                    bus, self.settings.tts, self.assistant.cancel, self.voice_set, self.player, self.stream_tts,
                    gate=self.assistant.cpu_gate,
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
        if self.player is not None and self.tts_stage is not None:
            self.player.start()
            self.tts_stage.start()
        if self.segmenter is not None:
            self.segmenter.start()
        threading.Thread(target=self._load_models, name="jarvis-voice-load", daemon=True).start()
        self._started = True
        self._publish_mode()
        return self

    def _make_wake(self, sample_rate: int) -> WakeListener:
        """Load the wake-word detector (about 0.2 s). Raises ModelNotFound / ModelLoadError."""
        from jarvis.audio.wake_listener import WakeListener
        from jarvis.audio.wake_word import WakeWordDetector

        wake = self.settings.audio.wake
        detector = WakeWordDetector(wake.model, wake.threshold, wake.refractory_s)
        self._owned.append(detector)
        return WakeListener(detector, wake, sample_rate, self.assistant.bus.publish, on_wake=self._on_wake)

    def _start_wake(self, sample_rate: int) -> None:
        """Wake-word mode at start: without its model, say so and fall back to push-to-talk."""
        try:
            self.wake = self._make_wake(sample_rate)
        except JarvisError as exc:
            self.mode = "ptt"
            self.assistant.bus.publish(
                StageError("wake", f"{exc.message}; push-to-talk instead of the wake word", exc.hint, cause=exc)
            )

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
            if self.tts_stage is not None:
                self.tts_stage.stop(timeout=5)
            self.player.close()
        self.assistant.bus.publish(ListeningChanged("off", False))

    def close(self) -> None:
        """Stop, and release the STT/TTS models this loop loaded (models passed in stay open)."""
        self.stop()
        for model in self._owned:
            try:
                model.close()
            except Exception:  # pragma: no cover
                log.debug("closing a voice model failed", exc_info=True)
        self._owned.clear()

    # ------------------------------------------------------------------ control
    @property
    def hands_free(self) -> bool:
        """True while the microphone listens all the time (hands-free or wake word)."""
        return self.mode != "ptt"

    @property
    def listening(self) -> bool:
        """True while the microphone is open (push-to-talk pressed or hands-free)."""
        return self.hands_free or self._ptt_open

    @property
    def speaking(self) -> bool:
        """True while Jarvis's voice plays."""
        return self.player is not None and self.player.speaking and time.monotonic() >= self._cue_until

    @property
    def busy(self) -> bool:
        """True while a reply is being prepared, generated or spoken."""
        return self._busy or self.speaking

    def _mic(self) -> Segmenter:
        if self.segmenter is None or self.segmenter.failed:
            why = self.segmenter.failed if self.segmenter is not None else "no microphone"
            raise AudioDeviceError(f"cannot listen: {why}", NO_MIC_HINT)
        if self.segmenter.lost:
            raise AudioDeviceError(
                "the microphone is gone: waiting for it to come back",
                "reconnect it (listening resumes by itself); keyboard chat still works",
            )
        return self.segmenter

    def ptt_toggle(self) -> bool:
        """The push-to-talk key: interrupts Jarvis when it talks, else opens/closes the microphone.

        Returns whether the microphone is open afterwards. Raises AudioDeviceError without a microphone.
        """
        mic = self._mic()
        if self.busy:
            self.barge_in()
            if not self.hands_free:
                self._set_ptt(True)
            self._wake_open()
            return True
        if self.hands_free:
            self._wake_open()  # the talk key needs no wake word
            mic.flush()
            return True
        self._set_ptt(not self._ptt_open)
        return self._ptt_open

    def set_hands_free(self, on: bool) -> None:
        """Listen continuously (True: hands-free, or the wake word when ``audio.mode`` says so) or
        only while push-to-talk is open (False)."""
        self.set_mode(self._hands_free_mode if on else "ptt")

    def set_mode(self, mode: AudioMode) -> None:
        """Listen by push-to-talk, hands-free, or hands-free after the wake word.

        Raises AudioDeviceError without a microphone, ModelNotFound/ModelLoadError when the wake-word
        model cannot be loaded (the mode is then unchanged).
        """
        mic = self._mic()
        if mode == "wake_word" and self.wake is None:
            self.wake = self._make_wake(mic.rate)
        self.mode = mode
        if mode != "ptt":
            self._hands_free_mode = mode
        self._ptt_open = False
        mic.set_wake(self.wake if mode == "wake_word" else None)
        mic.set_listening(mode != "ptt", flush=True)
        self._publish_mode()

    def _set_ptt(self, on: bool) -> None:
        self._ptt_open = on
        self._mic().set_listening(on, flush=True)
        self._publish_mode()

    def _publish_mode(self) -> None:
        if self.segmenter is None:
            self.assistant.bus.publish(ListeningChanged("off", False))
        elif self.hands_free:
            self.assistant.bus.publish(ListeningChanged(self.mode, True))
        else:
            self.assistant.bus.publish(ListeningChanged("ptt", self._ptt_open))

    def barge_in(self) -> dict[int, str]:
        """Cut Jarvis off now: stop playback and generation; the history keeps the heard part.

        Returns {turn_id: heard text} for the turns that were cut.
        """
        gate = self._gate
        if gate is not None and gate.paused:  # the provisional pause was the user: confirmed
            held = gate.held * self._frame_ms
            gate.reset()
            self.assistant.bus.publish(BargeInPause("confirmed", held))
        self.assistant.interrupt()
        heard = self.player.clear() if self.player is not None else {}
        self._busy = False
        for turn_id, text in heard.items():
            try:
                self.assistant.keep_heard(turn_id, text)
            except OSError:  # pragma: no cover - disk trouble must not break the loop
                log.exception("could not trim the history after barge-in")
        return heard

    # ------------------------------------------------------------------ callbacks
    @property
    def headset(self) -> bool:
        """True when the microphone does not hear the speaker (``speakers = "headset"``)."""
        return self.speakers == "headset"

    @property
    def echo_guard(self) -> str:
        """How Jarvis keeps from hearing itself now: ``none`` (headset), ``aec`` or ``mute``."""
        if self.speakers == "headset":
            return "none"
        if self.echo is not None and not self.echo.failed:
            return "aec"
        return "mute"

    def _guard_echo(self, source: Any) -> Any:
        """With open speakers, wrap a live microphone in echo cancellation when it works here.

        Otherwise the microphone is muted while Jarvis speaks; when that is a fallback (not
        ``echo_cancel = "off"``, not a WAV file), one line says why (in the chat when ``"on"``).
        """
        from jarvis.notices import notice

        audio = self.settings.audio
        if audio.headset is not None:
            from jarvis.audio.echo_plan import HEADSET_DEPRECATED

            notice(HEADSET_DEPRECATED)
        if self.speakers == "headset" or self.echo_cancel == "off" or not source.live or not self._use_output:
            return source
        from jarvis.audio.echo_plan import aec_problem, fallback_line

        problem = aec_problem(source.sample_rate)
        if problem is None:
            from jarvis.audio.devices import OUTPUT_RATE
            from jarvis.audio.echo_input import EchoCancelledInput
            from jarvis.audio.echo_reference import EchoReference

            try:
                self._reference = EchoReference(OUTPUT_RATE, source.sample_rate)
                self.echo = EchoCancelledInput(
                    source, self._reference, on_failure=self._echo_failed, on_double_talk=self._double_talk
                )
                return self.echo
            except JarvisError as exc:
                problem = exc.message
        self._reference = None
        message, hint = fallback_line(problem)
        notice(message)
        if self.echo_cancel == "on":
            self.assistant.bus.publish(StageError("audio", message, hint))
        return source

    def _echo_failed(self, why: str) -> None:
        """Echo cancellation broke while listening (VAD thread): mute while speaking from now on."""
        from jarvis.audio.echo_plan import fallback_line
        from jarvis.notices import notice

        message, hint = fallback_line(why)
        notice(message)
        self.assistant.bus.publish(StageError("audio", message, hint))

    def _muted(self) -> bool:
        """Ignore the microphone now? While Jarvis speaks without a headset or echo cancellation, and
        while the echo canceller has not settled (it leaks for about a second after it starts or its
        alignment moves)."""
        if not self.speaking:
            return False
        guard = self.echo_guard
        return guard == "mute" or (guard == "aec" and self.echo is not None and not self.echo.settled)

    def _on_speech_start(self) -> None:
        """The VAD heard speech start (VAD thread): interrupt Jarvis when it may be the user.

        With echo cancellation, speech over Jarvis's voice counts only once the microphone holds
        more than the echo (double talk); until then the start is unconfirmed (a leak of echo).
        While a provisional pause holds Jarvis's voice, the room soon holds no echo to tell a leak
        by: the start counts only with double talk seen again since the pause, or speech heard
        with no echo left (:attr:`~jarvis.audio.barge_in.PauseGate.room_confirms`)."""
        self._unconfirmed = False
        if self.mode == "wake_word" or not self.speaking or self.echo_guard == "mute":  # wake word: it interrupts
            return
        echo = self.echo
        if self.echo_guard == "aec" and echo is not None:
            gate = self._gate
            if gate is not None and gate.paused:
                heard = echo.stats.double_talk_blocks > self._talk_at_pause or gate.room_confirms
            else:
                heard = echo.hears_user
            if not heard:
                self._unconfirmed = True  # double talk still confirms it (_double_talk), or it resumes
                return
        self.barge_in()

    def _on_frame(self, voiced: bool, vad_state: str) -> None:
        """Each VAD frame heard (VAD thread): pause Jarvis's voice at the first sign of the user over
        its echo; play on when that was no barge-in (:mod:`jarvis.audio.barge_in`)."""
        gate, player, echo = self._gate, self.player, self.echo
        if gate is None or player is None or echo is None:
            return
        bus = self.assistant.bus
        if gate.paused and not player.paused:  # the pause ran out meanwhile (no frames came: muted)
            gate.reset()
            bus.publish(BargeInPause("resumed", round(self._pause_max_s * 1000)))
        may_pause = self.mode != "wake_word" and self.echo_guard == "aec" and player.buffer.busy()
        if not gate.paused and not may_pause:
            gate.reset()
            return
        action = gate.frame(voiced, echo.talked, vad_state, echo.echo_expected)
        if gate.paused and self._unconfirmed and gate.room_confirms:  # started, and the room says it was speech
            self._unconfirmed = False
            self.barge_in()
        elif action == PAUSE:
            self._talk_at_pause = echo.stats.double_talk_blocks
            player.pause(self._pause_max_s)
            bus.publish(BargeInPause("paused"))
        elif action == RESUME:
            player.resume()
            bus.publish(BargeInPause("resumed", gate.held * self._frame_ms))

    def _double_talk(self) -> None:
        """Someone speaks over Jarvis's echo (VAD thread): an unconfirmed start was the user after all."""
        if self._unconfirmed:
            self._unconfirmed = False
            if self.speaking:
                self.barge_in()

    def _emit(self, utt: Any) -> None:
        """An utterance from the VAD: to speech recognition, unless it was only Jarvis's echo (it began
        over Jarvis's voice, never showed the user, and ended while Jarvis still spoke)."""
        if self._unconfirmed and self.speaking:
            self._unconfirmed = False
            log.debug("an utterance of echo alone was dropped (%.1f s)", len(utt.audio) / utt.sample_rate)
            return
        self._unconfirmed = False
        self.stt_stage.put(utt)

    def _on_wake(self, detection: WakeDetection) -> None:
        """The wake word was heard (VAD thread): interrupt Jarvis (headset or echo cancelled), chime."""
        if self.speaking and self.echo_guard != "mute":
            self.barge_in()
        if self.settings.audio.wake.chime and self.player is not None:
            from jarvis.audio.wake_word import chime

            rate = self.player.output.sample_rate
            tone = chime(rate)
            self._cue_until = time.monotonic() + len(tone) / rate + 0.05
            self.player.buffer.add(tone)

    def _wake_open(self) -> None:
        """The talk key in wake-word mode: what is said now is a turn without the wake word."""
        if self.mode == "wake_word" and self.wake is not None and self.segmenter is not None:
            self.wake.open(self.segmenter.stream_s)

    def _reply_done(self) -> None:
        """A reply ended: in wake-word mode, a follow-up needs no wake word for ``follow_up_s``."""
        if self.wake is not None and self.segmenter is not None:
            self.wake.reply_done(self.segmenter.stream_s)

    def _partial(self, audio: Any) -> None:
        if self._models_ready.is_set() and self._stt is not None:  # no partials while the model loads
            self.stt_stage.speculate(audio, show=True)

    def _on_utterance(self, utt: Any) -> None:
        if self._ptt_open and not self.hands_free and self.segmenter is not None:
            self._ptt_open = False
            self.segmenter.set_listening(False, flush=False)
            self._publish_mode()

    def _turn_submitted(self) -> None:
        self._busy = True
        if self.wake is not None:
            self.wake.turn_taken()

    def _on_event(self, ev: Any) -> None:
        """Bus observer (called from other threads; returns at once)."""
        if isinstance(ev, StopRequested) and self.speaking:
            threading.Thread(target=self.barge_in, name="jarvis-stop", daemon=True).start()
        if isinstance(ev, (Transcript, TokenDelta, ReplyDone, Filler, Announcement)) and self.tts_stage is not None:
            self.tts_stage.offer(ev)
        if isinstance(ev, StatusChange):
            if ev.state in ("thinking", "generating"):
                self._busy = True
            elif ev.state == "idle" and self.player is None:
                self._busy = False
        elif isinstance(ev, ReplyDone) and self.player is None:
            self._busy = False
            self._reply_done()
        elif isinstance(ev, StageError) and ev.stage == "llm":
            self._busy = False
        elif isinstance(ev, HeardText) and not ev.interrupted:
            self._busy = False
            self._reply_done()
            trim_heap()  # the reply was spoken: the voice's freed buffers go back to the system
