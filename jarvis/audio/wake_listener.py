"""Wake-word mode in the VAD thread: the detector hears every block, the gate picks the turns.

The :class:`~jarvis.audio.segmenter.Segmenter` hands each block it hears to :meth:`WakeListener.feed`
(in its own thread, never the PortAudio callback: about 2 ms of CPU per 80 ms of audio) and asks
:meth:`WakeListener.admit` about each utterance it cuts. An utterance is a turn when

- the wake word fired inside it: its audio from just before "hey" on is transcribed and the
  transcript loses its leading "hey jarvis" ("hey jarvis, what time is it" is one turn); a wake
  with nothing after it ("hey jarvis" ... pause) leaves the gate open for the question;
- or it began while the gate was open: within ``wake_window_s`` of a wake, within
  ``follow_up_s`` after a reply, or after the talk key was pressed.

Anything else is dropped before speech recognition: nothing said before the wake word is
transcribed. :meth:`WakeListener.armed` tells the segmenter whether the utterance in progress may
be a turn (only then does it show partial transcripts or ask the end-of-turn model).

Positions are stream samples (samples read from the input since listening began) and times are
stream seconds, so a WAV file replayed as fast as it is read behaves as the microphone would.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jarvis.audio.events import WakeDetected, WakeScore
from jarvis.audio.wake_word import PHRASE_LOOKBACK_S, SAMPLE_RATE, WakeDetection, WakeGate

if TYPE_CHECKING:
    from jarvis.audio.wake_word import WakeWordDetector
    from jarvis.config import WakeSettings

# After "hey jarvis" alone, the question may start this long after it (or follow_up_s, if longer).
WAKE_WINDOW_S = 4.0


class WakeListener:
    """The wake-word detector and the follow-up gate, as the segmenter sees them. Thread safe.

    Args:
        detector: the streaming detector (its ``threshold`` is the sensitivity; it may change).
        settings: ``audio.wake`` (``follow_up_s`` for the gate).
        sample_rate: of the blocks fed (resampled to 16 kHz for the detector when different).
        publish: where :class:`WakeScore` and :class:`WakeDetected` go (the event bus).
        on_wake: called (from the VAD thread) with each detection, e.g. to chime or to barge in.
    """

    def __init__(
        self,
        detector: WakeWordDetector,
        settings: WakeSettings,
        sample_rate: int,
        publish: Callable[[Any], None],
        on_wake: Callable[[WakeDetection], None] | None = None,
    ) -> None:
        self.detector = detector
        self.rate = sample_rate
        self.publish = publish
        self.on_wake = on_wake
        self.gate = WakeGate(settings.follow_up_s, max(settings.follow_up_s, WAKE_WINDOW_S))
        self.wakes: deque[int] = deque(maxlen=16)  # stream samples where the wake word fired
        self.dropped = 0  # utterances heard without the wake word (never transcribed)
        self._lock = threading.Lock()
        self._next: int | None = None  # the stream sample the next block should start at

    @property
    def threshold(self) -> float:
        """The sensitivity: the score (0..1) that wakes."""
        return self.detector.threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self.detector.threshold = float(value)

    # ---------------------------------------------------------------- the VAD thread
    def feed(self, block: Any, start: int) -> list[int]:
        """Score ``block`` (float32 mono) that starts at stream sample ``start``; the wakes it completed.

        A block that does not follow the previous one (the microphone was muted or closed in
        between) restarts the detector, so no frame spans the gap.
        """
        if self._next != start:
            self.detector.reset()
        self._next = start + len(block)
        audio = block
        if self.rate != SAMPLE_RATE:
            from jarvis.audio.wavio import resample

            audio = resample(block, self.rate, SAMPLE_RATE)
        base, frames = self.detector.samples_seen, self.detector.frames_scored
        found: list[int] = []
        for d in self.detector.feed(audio):
            at = start + round((d.sample - base) * self.rate / SAMPLE_RATE)
            with self._lock:
                self.wakes.append(at)
                self.gate.woke(at / self.rate)
            found.append(at)
            self.publish(WakeDetected(d.score, at / self.rate))
            if self.on_wake is not None:
                self.on_wake(d)
        if self.detector.frames_scored != frames:
            self.publish(WakeScore(self.detector.last_score, self.detector.threshold, self.is_open(self._next)))
        return found

    def armed(self, start: int) -> bool:
        """May the utterance in progress, begun at stream sample ``start``, be a turn (so far)?"""
        return start >= 0 and self.is_open(start)

    def admit(self, start: int, end: int) -> tuple[int, bool] | None:
        """The utterance ``[start, end)`` (stream samples): None to drop it, else (where its turn's
        audio starts, whether it holds the wake word)."""
        with self._lock:
            inside = [at for at in self.wakes if start <= at <= end]
            open_ = self.gate.is_open(start / self.rate)
        if inside:
            return max(start, inside[0] - round(PHRASE_LOOKBACK_S * self.rate)), True
        if open_:
            return start, False
        self.dropped += 1
        return None

    # ---------------------------------------------------------------- the voice pipeline
    def is_open(self, at: int) -> bool:
        """True when speech starting at stream sample ``at`` needs no wake word."""
        with self._lock:
            return self.gate.is_open(at / self.rate)

    def open(self, now_s: float) -> None:
        """The talk key was pressed at stream second ``now_s``: the next utterance is a turn."""
        with self._lock:
            self.gate.woke(now_s)

    def reply_done(self, now_s: float) -> None:
        """Jarvis finished a reply at stream second ``now_s``: a follow-up needs no wake word."""
        with self._lock:
            self.gate.reply_done(now_s)

    def turn_taken(self) -> None:
        """A turn was submitted: the next one needs the wake word (or the follow-up window) again."""
        with self._lock:
            self.gate.close()
