"""The VAD stage: a thread that reads the input, shows the level, and cuts utterances.

It pulls blocks from an :class:`AudioInput` (never inside the PortAudio callback), re-frames them
for the VAD, publishes :class:`MicLevel` per block and :class:`AudioDrops` when drops grow, and
emits an :class:`Utterance` when the state machine ends one. Listening is gated: push-to-talk opens
and closes the gate, hands-free keeps it open, and the echo guard (``muted``) ignores the
microphone while Jarvis speaks on open speakers. In wake-word mode a
:class:`~jarvis.audio.wake_listener.WakeListener` also hears every block and decides which
utterances are turns (the others are dropped here, never transcribed). Control calls are thread
safe (a command queue).

A microphone that goes away (its stream ends, or it stops sending audio) is waited for: what was
being said is ended as an utterance, :class:`MicLost` is published, the device is opened again
with back-off (:mod:`jarvis.audio.reconnect`) and :class:`MicBack` follows when it sends audio;
listening goes on in the mode it was in. An input that cannot come back (a file) fails as before.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jarvis.audio.devices import AudioInput
from jarvis.audio.events import AudioDrops, MicBack, MicLevel, MicLost
from jarvis.audio.turn_end import TurnVerdict
from jarvis.audio.vad import QUIET, VadMachine, make_classifier
from jarvis.config import TurnSettings, VADSettings
from jarvis.errors import AudioDeviceError
from jarvis.messages import StageError, Utterance

if TYPE_CHECKING:
    from jarvis.audio.wake_listener import WakeListener

log = logging.getLogger(__name__)

CLIP_LEVEL = 0.99


def level(block: Any) -> tuple[float, float, bool]:
    """(RMS in dBFS, peak 0..1, clipping) of a float32 block."""
    import numpy as np

    if len(block) == 0:
        return -90.0, 0.0, False
    peak = float(np.max(np.abs(block)))
    rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64))))
    db = 20.0 * math.log10(rms) if rms > 1e-9 else -90.0
    return max(db, -90.0), peak, peak >= CLIP_LEVEL


class Segmenter:
    """Capture -> VAD -> Utterance, in its own thread.

    Args:
        source: the microphone or WAV file.
        vad: the VAD settings.
        publish: where MicLevel/AudioDrops/StageError go (the event bus).
        emit: receives each finished :class:`Utterance`.
        generation: returns the current cancel generation (stamped on utterances).
        muted: returns True while the microphone must be ignored (echo guard).
        on_speech_start: called (from this thread) when speech starts.
        on_frame: called (from this thread) after each VAD frame heard, with the classifier's
            verdict and the VAD's state after it (the provisional barge-in counts on it).
        on_utterance: called after an utterance was emitted (push-to-talk closes the gate).
        merge: keep every utterance until the input ends and emit them as one (a question file).
        judge: asked after ``turn.check_ms`` of silence whether the speaker has finished (the
            end-of-turn model); a complete verdict ends the utterance at once, otherwise the VAD
            waits up to ``turn.max_silence_ms``. None: ``vad.end_silence_ms`` of silence ends it.
        on_partial: receives the utterance so far every ``turn.partial_every_ms`` of speech.
        turn: the end-of-turn settings (used with ``judge`` / ``on_partial``).
        wake: wake-word mode (None: every utterance is a turn); see :meth:`set_wake`.
    """

    def __init__(
        self,
        source: AudioInput,
        vad: VADSettings,
        publish: Callable[[Any], None],
        emit: Callable[[Utterance], None],
        *,
        generation: Callable[[], int] = lambda: 0,
        muted: Callable[[], bool] = lambda: False,
        on_speech_start: Callable[[], None] | None = None,
        on_frame: Callable[[bool, str], None] | None = None,
        on_utterance: Callable[[Utterance], None] | None = None,
        merge: bool = False,
        listening: bool = False,
        judge: Callable[[Any], TurnVerdict] | None = None,
        on_partial: Callable[[Any], None] | None = None,
        turn: TurnSettings | None = None,
        wake: WakeListener | None = None,
    ) -> None:
        self.source = source
        self.rate = source.sample_rate
        turn = turn or TurnSettings(enabled=False)
        self.vad = vad
        self.judge = judge
        self.on_partial = on_partial
        self.machine = VadMachine(
            vad, self.rate,
            end_silence_ms=turn.max_silence_ms if judge is not None else None,
            check_ms=turn.check_ms if judge is not None else 0,
            partial_ms=turn.partial_every_ms if on_partial is not None else 0,
        )
        self._verdict: tuple[int, TurnVerdict] | None = None  # (last speech frame judged, verdict)
        self.classify = make_classifier(vad, self.rate)
        self.publish = publish
        self.emit = emit
        self.generation = generation
        self.muted = muted
        self.on_speech_start = on_speech_start
        self.on_frame = on_frame
        self.on_utterance = on_utterance
        self.merge = merge
        self.listening = listening
        self.wake = wake
        self.position = 0  # stream samples read from the input so far (the wake word's clock)
        self.ended = threading.Event()  # the input ran out (file) or failed (device)
        self.failed: str | None = None
        self.lost: str | None = None  # why, while a lost microphone is waited for
        self.utterances = 0
        self._merged: list = []
        self._merged_end = 0.0
        self._merged_speech_ms = 0
        self._cmds: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._residual: Any = None
        self._frame_times: dict[int, float] = {}
        self._frame_starts: dict[int, int] = {}  # VAD frame index -> its first stream sample
        self._drops_seen = 0
        self._clipped = False
        self._state = QUIET
        self._thread = threading.Thread(target=self._run, name="jarvis-vad", daemon=True)

    # ---------------------------------------------------------------- control (thread safe)
    def start(self) -> Segmenter:
        """Start capturing and the thread."""
        self.source.start()
        self._thread.start()
        return self

    def set_listening(self, on: bool, flush: bool = True) -> None:
        """Open or close the gate; closing ends the utterance in progress (when ``flush``)."""
        self._cmds.put(("listen", on, flush))

    def set_wake(self, wake: WakeListener | None) -> None:
        """Wake-word mode on (a listener) or off (None); an utterance in progress is forgotten."""
        self._cmds.put(("wake", wake))

    @property
    def stream_s(self) -> float:
        """Seconds of input read so far (the clock of the wake word's follow-up window)."""
        return self.position / self.rate

    def flush(self) -> None:
        """End the utterance in progress now."""
        self._cmds.put(("flush",))

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread and close the input."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.source.close()

    @property
    def state(self) -> str:
        """The VAD state (quiet, starting, speaking, stopping, muted, off, lost)."""
        return self._state

    # ---------------------------------------------------------------- the thread
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._listen()
                    return
                except AudioDeviceError as exc:
                    if not self.source.reconnects:
                        raise
                    if not self._wait_for_mic(exc):
                        return
        except AudioDeviceError as exc:
            self.failed = exc.message
            self.publish(StageError("audio", exc.message, exc.hint))
            self.ended.set()
        except Exception as exc:  # pragma: no cover - keep the app alive
            log.exception("VAD thread failed")
            self.failed = str(exc)
            self.publish(StageError("audio", f"listening stopped: {exc}", "see the log file"))
            self.ended.set()

    def _listen(self) -> None:
        """Read and segment until stopped or the input ends; raises AudioDeviceError when it fails."""
        while not self._stop.is_set():
            self._commands()
            block = self.source.read(timeout=0.05)
            if block is None:
                if self.source.ended:
                    self._finish_input()
                    return
                continue
            self._block(block, time.monotonic())

    def _wait_for_mic(self, exc: AudioDeviceError) -> bool:
        """The microphone went away: end what was being said, say so, wait for it to come back.

        Returns True when it is back (listening goes on), False when the segmenter was stopped first.
        """
        from jarvis.audio.reconnect import wait_for_input

        lost_at = time.monotonic()
        self.lost = exc.message
        if self.listening:
            self._end(self.machine.flush())  # what was said up to now is a turn, not lost
        self.machine.reset()
        self._residual = None
        self._state = "lost"
        log.warning("%s: waiting for it to come back", exc.message)
        self.publish(MicLost(self.source.name, exc.message))
        self.publish(MicLevel(-90.0, 0.0, self._state))
        got = wait_for_input(self.source, self._stop, self._commands)
        if got is None:
            return False
        block, tries = got
        self.lost = None
        seconds = time.monotonic() - lost_at
        log.warning("microphone '%s' is back after %.1f s", self.source.name, seconds)
        self.publish(MicBack(self.source.name, seconds, tries))
        self._block(block, time.monotonic())
        return True

    def _commands(self) -> None:
        while True:
            try:
                cmd = self._cmds.get_nowait()
            except queue.Empty:
                return
            if cmd[0] == "listen":
                _, on, flush = cmd
                if not on and self.listening and flush:
                    self._end(self.machine.flush())
                elif not on:
                    self.machine.reset()
                self.listening = on
            elif cmd[0] == "flush":
                self._end(self.machine.flush())
            elif cmd[0] == "wake":
                self.wake = cmd[1]
                self.machine.reset()

    def _finish_input(self) -> None:
        self._commands()
        if self.listening:
            self._end(self.machine.flush())
        if self.merge and self._merged:
            self._emit_merged()
        self.ended.set()

    def _block(self, block: Any, now: float) -> None:
        import numpy as np

        db, peak, clip = level(block)
        start = self.position
        self.position += len(block)
        drops = self.source.drops
        if drops != self._drops_seen:
            self._drops_seen = drops
            self.publish(AudioDrops(drops))
        if not self.listening:
            self._state = "off"
            self._residual = None
            self.publish(MicLevel(db, peak, self._state, clip))
            return
        if self.muted():
            if self.machine.state != QUIET:
                self.machine.reset()
            self._state = "muted"
            self._residual = None
            self.publish(MicLevel(db, peak, self._state, clip))
            return
        self._clipped = self._clipped or clip
        if self.wake is not None:
            self.wake.feed(block, start)
        data = block if self._residual is None else np.concatenate([self._residual, block])
        data_start = start - (len(data) - len(block))
        n = self.machine.frame_len
        full = len(data) // n * n
        for i in range(0, full, n):
            frame = data[i:i + n]
            idx = self.machine.frames_seen
            self._frame_times[idx] = now
            self._frame_starts[idx] = data_start + i
            voiced = self.classify(frame)
            step = self.machine.push(frame, voiced)
            if step.started and self.on_speech_start is not None:
                self.on_speech_start()
            if self.on_frame is not None:
                self.on_frame(voiced, step.state)
            if step.partial and self.on_partial is not None and self._armed():
                self.on_partial(self.machine.audio_so_far())
            if step.check and self.judge is not None and not self.merge and self._armed():
                step = self._ask_judge(step)
            if step.segment is not None or step.discarded:
                self._end(step)
        self._residual = data[full:] if full < len(data) else None
        if len(self._frame_times) > 4000:
            cutoff = self.machine.frames_seen - 2000
            self._frame_times = {k: v for k, v in self._frame_times.items() if k >= cutoff}
            self._frame_starts = {k: v for k, v in self._frame_starts.items() if k >= cutoff}
        self._state = self.machine.state
        self.publish(MicLevel(db, peak, self._state, clip))

    def _armed(self) -> bool:
        """May the utterance in progress be a turn? (Always, but in wake-word mode before the wake.)

        Speech that cannot be a turn is neither shown as partial transcripts nor judged by the
        end-of-turn model (which transcribes it): nothing said before the wake word is transcribed.
        """
        if self.wake is None:
            return True
        return self.wake.armed(self._frame_starts.get(self.machine.start_frame, -1))

    def _ask_judge(self, step: Any) -> Any:
        """Ask the end-of-turn judge about the utterance so far; end it now when it is complete."""
        assert self.judge is not None
        last = self.machine.last_speech_frame
        try:
            verdict = self.judge(self.machine.audio_so_far())
        except Exception as exc:  # a failing model must not stop listening: back to the VAD's silence limit
            message, hint = getattr(exc, "message", str(exc)), getattr(exc, "hint", "see the log file")
            log.warning("end-of-turn model off: %s", message)
            self.judge = None
            self.machine.use_silence_limit(self.vad.end_silence_ms)
            self.publish(StageError("audio", f"{message}; turns end after silence instead", hint))
            return step
        self._verdict = (last, verdict)
        return self.machine.end_now("turn_model") if verdict.complete else step

    def _end(self, step: Any) -> None:
        seg = step.segment
        clipped, self._clipped = self._clipped, False
        if seg is None:
            return
        audio, wake = seg.audio, False
        verdict, self._verdict = self._verdict, None
        if self.wake is not None and not self.merge:
            start = self._frame_starts.get(seg.first_frame, self.position - len(audio))
            admitted = self.wake.admit(start, start + len(audio))
            if admitted is None:  # no wake word and the gate closed: not a turn, not transcribed
                log.debug("utterance without the wake word dropped (%.1f s)", len(audio) / self.rate)
                return
            cut, wake = admitted
            if cut > start:  # speech before "hey jarvis" is not part of the question
                audio, verdict = audio[cut - start:], None
        if clipped:
            self.publish(
                StageError(
                    "audio", "the microphone is clipping (the input is too loud)",
                    "lower the input gain or move back from the microphone",
                )
            )
        speech_end = self._frame_times.get(seg.last_speech_frame, time.monotonic())
        if self.merge:
            self._merged.append(seg.audio)
            self._merged_end = speech_end
            self._merged_speech_ms += seg.speech_ms
            return
        # The judge's transcript holds for this utterance when no speech came after the judged audio.
        transcript = verdict[1].transcript if verdict and verdict[0] == seg.last_speech_frame else None
        utt = Utterance(
            audio, self.rate, speech_end, self.generation(),
            reason=seg.reason, ended=time.monotonic(), transcript=transcript, wake=wake,
        )
        self.utterances += 1
        self.emit(utt)
        if self.on_utterance is not None:
            self.on_utterance(utt)

    def _emit_merged(self) -> None:
        import numpy as np

        gap = np.zeros(self.rate // 5, dtype=np.float32)
        parts: list = []
        for a in self._merged:
            parts.extend([a, gap])
        audio = np.concatenate(parts[:-1])
        self._merged = []
        utt = Utterance(audio, self.rate, self._merged_end, self.generation())
        self.utterances += 1
        self.emit(utt)
        if self.on_utterance is not None:
            self.on_utterance(utt)
