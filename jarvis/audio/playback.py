"""Playback: a buffer of speech chunks that an output device pulls from, and the player around it.

:class:`PlaybackBuffer` is what the audio callback touches: ``pull(frames)`` copies samples out
under a short lock and notes when each chunk started and ended. ``clear()`` empties it at once, so
the speaker is silent from the next callback block on (tens of ms), and reports how much of each
chunk was played. :class:`Player` resamples chunks to the device rate, watches the buffer in its
own thread, publishes SpeakingChanged/HeardText, and turns played fractions into the heard text.
With open speakers and echo cancellation, the device hands every block it writes (at its own rate,
with the time it plays at) to the player's ``reference`` (see :mod:`jarvis.audio.echo_reference`).
``pause()`` / ``resume()`` hold the queue where it is (a provisional barge-in,
:mod:`jarvis.audio.barge_in`): the speaker goes quiet after a short fade and, on resume, plays on
from the very sample it stopped at. What already waits in the device's buffer
(``audio.output_buffer_ms``) still plays: dropping it means aborting and restarting the stream,
and on the test rigs echo cancellation then measured 13-19 dB worse on the replies after it
(``bench/echo_live.py``), so it is not done.
A speaker that goes away (:attr:`~jarvis.audio.devices.AudioOutput.error`) is opened again with
back-off (:class:`~jarvis.audio.events.SpeakerLost`, then :class:`~jarvis.audio.events.SpeakerBack`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jarvis.audio.devices import AudioOutput
from jarvis.audio.events import HeardText, SpeakerBack, SpeakerLost, SpeakingChanged
from jarvis.audio.reconnect import RESCAN_EVERY, backoff
from jarvis.errors import AudioDeviceError
from jarvis.messages import SpeechChunk, TurnTimings

log = logging.getLogger(__name__)

FADE_S = 0.005  # a pause fades out, and a resume fades in, over this long (no click mid-word)
STALL_S = 0.05  # a longer silence between two pieces of one reply counts as a stall (Player.stalled_s)


@dataclass
class _Item:
    audio: Any
    text: str
    turn_id: int
    generation: int
    timings: TurnTimings | None = None
    pos: int = 0
    started_at: float | None = None
    finished_at: float | None = None


@dataclass
class PlayedChunk:
    """How much of one chunk reached the speaker."""

    text: str
    turn_id: int
    played: int
    total: int
    started_at: float | None = None

    @property
    def fraction(self) -> float:
        """Played share of the chunk, 0..1."""
        return self.played / self.total if self.total else 1.0


def heard_part(text: str, fraction: float) -> str:
    """The words of ``text`` heard when ``fraction`` of its audio was played (rounded down)."""
    if fraction >= 0.999:
        return text
    words = text.split()
    return " ".join(words[: int(len(words) * max(0.0, fraction))])


class PlaybackBuffer:
    """Thread-safe queue of audio chunks; the device callback pulls fixed-size blocks from it."""

    def __init__(self) -> None:
        import numpy as np

        self._np = np
        self._items: deque[_Item] = deque()
        self._lock = threading.Lock()
        self._events: list[tuple[str, _Item]] = []
        self.frames_out = 0
        self.fade = 0  # samples of a pause's fade-out / a resume's fade-in (set by the player)
        self.paused = False
        self._fade_out = False  # a pause was asked: the next block fades out, then silence
        self._fade_in = False  # resumed: the next block fades in
        self._resume_at: float | None = None  # a pause never lasts past this (monotonic), whatever happens

    def add(
        self, audio: Any, text: str = "", turn_id: int = 0, generation: int = 0, timings: TurnTimings | None = None,
    ) -> None:
        """Queue float32 mono audio (already at the device rate); ``timings`` gets ``first_audio_out``."""
        with self._lock:
            self._items.append(_Item(audio, text, turn_id, generation, timings))

    def queued_frames(self) -> int:
        """Samples queued and not played yet."""
        with self._lock:
            return sum(len(i.audio) - i.pos for i in self._items)

    def busy(self) -> bool:
        """True while there is audio left to play (paused or not)."""
        return bool(self._items)

    def playing(self) -> bool:
        """True while there is audio left to play and it is not paused."""
        return bool(self._items) and not self.paused

    def pause(self, max_s: float = 2.0) -> None:
        """Hold playback where it is (the next block fades out); :meth:`resume` plays on from there.

        A pause ends by itself after ``max_s`` (whoever paused may never say more).
        """
        with self._lock:
            if not self.paused:
                self.paused, self._fade_out, self._fade_in = True, self.fade > 0, False
            self._resume_at = time.monotonic() + max_s

    def resume(self) -> None:
        """Play on from where :meth:`pause` stopped (the next block fades in)."""
        with self._lock:
            self._resume()

    def _resume(self) -> None:
        if self.paused:
            self.paused, self._fade_in = False, self.fade > 0 and not self._fade_out
            self._fade_out = False
            self._resume_at = None

    def pull(self, frames: int) -> Any:
        """Exactly ``frames`` samples: queued audio, then silence. Safe to call from a PortAudio callback."""
        out = self._np.zeros(frames, dtype=self._np.float32)
        with self._lock:
            if self.paused and self._resume_at is not None and time.monotonic() >= self._resume_at:
                self._resume()
            if not self.paused:
                filled = self._fill(out, frames)
                if self._fade_in and filled:
                    n = min(filled, self.fade)
                    out[:n] *= self._ramp(n)
                    self._fade_in = False
            elif self._fade_out:  # the first block of a pause: a few ms fading out, then silence
                n = self._fill(out, min(frames, self.fade))
                out[:n] *= self._ramp(n)[::-1]
                self._fade_out = False
        return out

    def _ramp(self, n: int) -> Any:
        """Gains rising from just above 0 to just below 1 over ``n`` samples (no sample is silenced)."""
        return (self._np.arange(1, n + 1, dtype=self._np.float32) / (n + 1)).astype(self._np.float32)

    def _fill(self, out: Any, frames: int) -> int:
        """Copy up to ``frames`` queued samples into ``out`` (lock held); returns how many."""
        filled = 0
        while filled < frames and self._items:
            item = self._items[0]
            if item.started_at is None:
                item.started_at = time.monotonic()
                self._events.append(("start", item))
            n = min(frames - filled, len(item.audio) - item.pos)
            out[filled:filled + n] = item.audio[item.pos:item.pos + n]
            item.pos += n
            filled += n
            if item.pos >= len(item.audio):
                item.finished_at = time.monotonic()
                self._items.popleft()
                self._events.append(("end", item))
        self.frames_out += filled
        return filled

    def clear(self) -> list[PlayedChunk]:
        """Drop everything queued now (a pause ends too); returns the chunks that were cut (played part and all)."""
        with self._lock:
            items = list(self._items)
            self._items.clear()
            self.paused = self._fade_out = self._fade_in = False
            self._resume_at = None
        return [PlayedChunk(i.text, i.turn_id, i.pos, len(i.audio), i.started_at) for i in items]

    def drain_events(self) -> list[tuple[str, _Item]]:
        """Chunk start/end events since the last call."""
        with self._lock:
            events, self._events = self._events, []
        return events


@dataclass
class _TurnPlayback:
    heard: list[str] = field(default_factory=list)
    queued: int = 0
    done: int = 0
    closed: bool = False  # no more chunks will come for this turn
    last_end: float | None = None  # when its latest chunk finished playing


class Player:
    """Speaks SpeechChunks through an :class:`AudioOutput`; can be cut off at once with :meth:`clear`."""

    def __init__(
        self,
        output: AudioOutput,
        publish: Callable[[Any], None],
        *,
        is_stale: Callable[[int], bool] = lambda gen: False,
        tail_s: float = 0.3,
        reference: Callable[[Any, float], None] | None = None,
    ) -> None:
        self.output = output
        self.reference = reference  # gets each block written to a live speaker, with its play time
        self.buffer = PlaybackBuffer()
        self.publish = publish
        self.is_stale = is_stale
        self.tail_s = tail_s
        self._turns: dict[int, _TurnPlayback] = {}
        self.stalled_s = 0.0  # silence inside replies: a piece was not ready when the one before ended
        self.stalls = 0
        self._cut: set[int] = set()
        self._lock = threading.Lock()
        self._speaking = False
        self._last_audio = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="jarvis-playback", daemon=True)
        self._lost_at: float | None = None  # the speaker went away then (monotonic); None: it plays
        self._tries = 0  # times it was opened again since
        self._next_try = 0.0
        self.buffer.fade = int(output.sample_rate * FADE_S)
        if hasattr(output, "has_audio"):
            output.has_audio = self.buffer.playing  # type: ignore[attr-defined]

    def start(self) -> Player:
        """Start the output device and the watcher thread."""
        if self.reference is not None:
            self.output.tap = self.reference
        self.output.start(self.buffer.pull)
        self._thread.start()
        return self

    @property
    def speaking(self) -> bool:
        """True while audio plays, and for ``tail_s`` after (the room still echoes it)."""
        return self.buffer.busy() or (time.monotonic() - self._last_audio) < self.tail_s

    def queued_s(self) -> float:
        """Seconds of speech queued and not played yet (what the voice has in hand)."""
        return self.buffer.queued_frames() / self.output.sample_rate

    @property
    def paused(self) -> bool:
        """True while playback is held by :meth:`pause` (Jarvis still counts as speaking)."""
        return self.buffer.paused

    def pause(self, max_s: float = 2.0) -> None:
        """Hold the voice where it is now (nothing is dropped); it plays on after :meth:`resume`, or
        by itself after ``max_s``. :meth:`clear` drops it instead (a confirmed barge-in)."""
        self.buffer.pause(max_s)

    def resume(self) -> None:
        """Play on from where :meth:`pause` held the voice."""
        self.buffer.resume()

    def put(self, chunk: SpeechChunk) -> None:
        """Queue a chunk (resampled to the device rate); stale chunks are dropped."""
        if self.is_stale(chunk.generation) or chunk.turn_id in self._cut or self._lost_at is not None:
            return  # stale, cut off, or no speaker now (the reply is shown, not spoken)
        from jarvis.audio.wavio import resample

        audio = resample(chunk.audio, chunk.sample_rate, self.output.sample_rate)
        with self._lock:
            self._turns.setdefault(chunk.turn_id, _TurnPlayback()).queued += 1
        self.buffer.add(audio, chunk.text, chunk.turn_id, chunk.generation, chunk.timings)
        self._last_audio = time.monotonic()

    def end_turn(self, turn_id: int) -> None:
        """No more chunks will come for ``turn_id``; HeardText follows when its audio has played."""
        if turn_id in self._cut:
            return
        with self._lock:
            self._turns.setdefault(turn_id, _TurnPlayback()).closed = True
        self._maybe_finish(turn_id)

    def clear(self, announce: bool = True) -> dict[int, str]:
        """Stop playing now and drop the queue; returns {turn_id: heard text} for the turns cut off
        (``announce``: publish them as interrupted HeardText; a lost speaker does not, it is no barge-in)."""
        cut = self.buffer.clear()
        self._handle(self.buffer.drain_events())
        heard: dict[int, str] = {}
        with self._lock:
            for c in cut:
                tp = self._turns.get(c.turn_id)
                if tp is None:
                    continue
                part = heard_part(c.text, c.fraction) if c.played else ""
                if part:
                    tp.heard.append(part)
            cut_turns = {c.turn_id for c in cut} | {t for t, tp in self._turns.items() if not tp.closed}
            self._cut |= cut_turns
            for tid in cut_turns:
                tp = self._turns.pop(tid, None)
                if tp is not None:
                    heard[tid] = " ".join(tp.heard).strip()
        if announce:
            for tid, text in heard.items():
                self.publish(HeardText(tid, text, True))
        self._set_speaking(False)
        return heard

    def _maybe_finish(self, turn_id: int) -> None:
        with self._lock:
            tp = self._turns.get(turn_id)
            if tp is None or not tp.closed or tp.done < tp.queued:
                return
            del self._turns[turn_id]
        self.publish(HeardText(turn_id, " ".join(tp.heard).strip(), False))

    def _handle(self, events: list) -> None:
        for kind, item in events:
            with self._lock:
                tp = self._turns.get(item.turn_id)
            if tp is None:
                continue
            if kind == "start":
                if tp.last_end is not None and item.started_at - tp.last_end > STALL_S:
                    self.stalled_s += item.started_at - tp.last_end  # the voice ran dry mid-reply
                    self.stalls += 1
                if item.timings is not None and item.timings.first_audio_out is None:
                    # heard when it leaves the device's buffer, not when the callback took it; the
                    # reply's first chunk marks it even when a filler ("one moment") played before
                    heard_at = item.started_at + getattr(self.output, "ahead_s", 0.0)
                    item.timings.mark("first_audio_out", heard_at)
                self._set_speaking(True)
            else:
                tp.heard.append(item.text)
                tp.done += 1
                tp.last_end = item.finished_at
                self._last_audio = time.monotonic()
                self._maybe_finish(item.turn_id)

    def _set_speaking(self, value: bool) -> None:
        if value != self._speaking:
            self._speaking = value
            self.publish(SpeakingChanged(value))

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            try:
                self._handle(self.buffer.drain_events())
                if self._speaking and not self.buffer.busy():
                    self._set_speaking(False)
                if self._lost_at is None and self.output.error:
                    self._lose(self.output.error)
                elif self._lost_at is not None and time.monotonic() >= self._next_try:
                    self._reopen()
            except Exception:  # pragma: no cover - keep the watcher alive
                log.exception("playback watcher failed")

    @property
    def lost(self) -> bool:
        """True while the speaker is gone (nothing is queued; it is opened again with back-off)."""
        return self._lost_at is not None

    def _lose(self, reason: str) -> None:
        """The speaker went away (watcher thread): say so, drop what was queued, try again later."""
        now = time.monotonic()
        self._lost_at, self._tries, self._next_try = now, 0, now + backoff(0)
        log.warning("speaker lost: %s", reason)
        self.publish(SpeakerLost(self.output.name, reason))
        self.clear(announce=False)  # not a barge-in: the replies stay whole in the chat and the history

    def _reopen(self) -> None:
        """One try at opening the lost speaker again (watcher thread); the next one backs off."""
        self._tries += 1
        try:
            self.output.reopen(rescan=self._tries % RESCAN_EVERY == 0)
        except AudioDeviceError as exc:
            log.info("speaker not back yet (try %d): %s", self._tries, exc.message)
            self._next_try = time.monotonic() + backoff(self._tries)
            return
        lost_at, self._lost_at = self._lost_at, None
        self.publish(SpeakerBack(self.output.name, round(time.monotonic() - (lost_at or 0.0), 1), self._tries))

    def close(self) -> None:
        """Stop the watcher and the output (a file output writes its file now)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(1)
        self._handle(self.buffer.drain_events())
        self.output.close()
