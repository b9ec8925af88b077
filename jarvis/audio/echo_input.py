"""An echo-cancelled microphone: the VAD, the segmenter and the wake word hear the user, not Jarvis.

:class:`EchoCancelledInput` wraps a live :class:`~jarvis.audio.devices.AudioInput` and runs every
block it reads through :class:`~jarvis.audio.echo_cancel.EchoCanceller` (WebRTC AEC3), in the
reading thread (the VAD thread; about 0.3 ms of CPU per 30 ms block, never the PortAudio callback).
The reference is what the speaker played (:class:`~jarvis.audio.echo_reference.EchoReference`);
:class:`~jarvis.audio.comfort_noise.ComfortNoise` puts back the noise floor AEC3 suppresses with the
echo (else Jarvis's own pauses sound like speech starting to webrtcvad).

Alignment, in three layers:

1. Clocks: both streams carry PortAudio's device times (DAC for the speaker, ADC for the mic), so
   the mic block captured at device time ``t`` is paired with what the speaker played at
   ``t + lead``. The lead (``LEAD_MS`` at first) keeps the reference ahead of its echo: AEC3 copes
   with a reference that comes early (up to ~400 ms, measured) but not with one that comes late.
2. Delay estimate: while Jarvis speaks, :class:`~jarvis.audio.echo_delay.DelayTracker`
   cross-correlates (GCC-PHAT) the raw mic with the reference and measures where the echo really
   sits; when the lead falls outside ``[MIN_LEAD_MS, MAX_LEAD_MS]`` (two estimates agreeing) it is
   re-aimed at ``TARGET_LEAD_MS``.
3. AEC3's own delay estimator tracks what is left.

After the canceller, while the room echoes: a block it took more than ``RESIDUE_DB`` out of is echo
residue and is replaced by the noise floor (:class:`~jarvis.audio.comfort_noise.ComfortNoise` also
fills what AEC3 suppressed below it), and :class:`~jarvis.audio.double_talk.DoubleTalkDetector`
says whether the microphone holds more than the echo: :attr:`EchoCancelledInput.hears_user` lets
the voice pipeline tell a user's barge-in from a leak of echo the canceller let through.

Until AEC3 has heard ``WARMUP_S`` of Jarvis, for ``RESETTLE_S`` after the alignment moved, and
for the first ``ONSET_S`` of each reply, :attr:`EchoCancelledInput.settled` is False (the voice
loop then mutes the microphone while Jarvis speaks, as without echo cancellation). A failure
inside the canceller sets :attr:`EchoCancelledInput.failed` (the raw audio passes through from then
on) and calls ``on_failure`` once, so the voice pipeline can mute from then on.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from jarvis.audio.comfort_noise import ComfortNoise
from jarvis.audio.devices import AudioInput
from jarvis.audio.double_talk import DoubleTalkDetector
from jarvis.audio.echo_cancel import EchoCanceller
from jarvis.audio.echo_delay import ACTIVE_RMS, DelayTracker  # ACTIVE_RMS: louder is Jarvis speaking
from jarvis.audio.echo_reference import EchoReference, StreamClock

log = logging.getLogger(__name__)

LEAD_MS = 40  # the reference is taken this far ahead of the mic's own time (the echo comes after it)
MIN_LEAD_MS, MAX_LEAD_MS = 15, 300  # a measured lead outside this is re-aimed ...
TARGET_LEAD_MS = 80  # ... at this
MIN_CONFIDENCE = 15.0  # GCC-PHAT peak over mean: below this the mic did not clearly hear the speaker
AGREE_MS = 10  # the lead is re-aimed only after two estimates in a row agree this well
WARMUP_S = 1.0  # AEC3 has converged after hearing this much of Jarvis
RESETTLE_S = 1.0  # ... and again this long after the alignment moved (it leaks meanwhile)
ONSET_S = 0.6  # ... and for the first moments of each reply (AEC3 leaks most at an onset after a pause)
ECHO_TAIL_S = 0.5  # the room still echoes this long after the speaker went quiet
FAR_WAIT_S = 0.06  # wait at most this long for the speaker's samples the reference needs
RESIDUE_DB = 15.0  # while the room echoes, a block reduced by more than this is echo residue
USER_HOLD_S = 0.3  # double talk this recent confirms that the VAD heard someone, not the echo


@dataclass
class EchoStats:
    """How the canceller is doing (read by the bench, the tests and the log)."""

    blocks: int = 0
    far_active_blocks: int = 0
    lead_ms: float = LEAD_MS  # how far ahead of the mic's time the reference is taken
    delay_ms: float | None = None  # where the echo sits after the clocks' prediction, last estimate
    confidence: float | None = None  # of the last estimate
    estimates: int = 0
    realigned: int = 0  # times the lead was re-aimed after an estimate
    clock_moves: int = 0  # times the microphone's clock was re-applied (jitter beyond its slack) or reset
    far_spans: int = 0  # continuous stretches of playback (1 + output underruns)
    comfort_blocks: int = 0  # cleaned blocks filled back up to the microphone's noise floor
    residue_blocks: int = 0  # blocks taken for echo residue (replaced by the noise floor)
    far_late: int = 0  # blocks whose reference was not played in time (cancelled without all of it)
    double_talk_blocks: int = 0  # blocks in which someone spoke over Jarvis's echo
    erle_db: float | None = None  # raw over cleaned power, latest ~3 s while Jarvis spoke


class EchoCancelledInput(AudioInput):
    """A microphone with Jarvis's own voice taken out (see the module docstring).

    Args:
        source: the live microphone; its ``block_time`` (ADC time of the block read) is used.
        reference: what the speaker played (pushed by the speaker's callback).
        canceller: the echo canceller (default: a new one at the source's rate).
        on_failure: called once, with a one-line reason, when cancelling stops working.
        on_double_talk: called (from the reading thread) for each block in which someone speaks
            over Jarvis's echo (:class:`~jarvis.audio.double_talk.DoubleTalkDetector`).
    """

    live = True

    def __init__(
        self,
        source: AudioInput,
        reference: EchoReference,
        canceller: EchoCanceller | None = None,
        on_failure: Callable[[str], None] | None = None,
        on_double_talk: Callable[[], None] | None = None,
    ) -> None:
        self.source = source
        self.on_double_talk = on_double_talk
        self.double_talk = DoubleTalkDetector()
        self._user_at = -(10**9)  # mic sample where double talk was last seen
        self._no_echo = True  # the latest block: no echo above the noise floor was expected
        self.sample_rate = source.sample_rate
        self.block_frames = source.block_frames
        self.reference = reference
        self.canceller = canceller or EchoCanceller(source.sample_rate)
        self.on_failure = on_failure
        self.failed: str | None = None
        self.stats = EchoStats()
        self.tracker = DelayTracker(self.sample_rate)
        # (raw, reference, cancelled, heard) of every block, for measurements (the bench): the
        # microphone, what played, the canceller's output, and that with comfort noise (what the VAD
        # hears); None: off
        self.tap: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None] | None = None
        self._clock = StreamClock(self.sample_rate)
        self._pos = 0  # mic samples read so far
        self._lost = self._lost_count()
        self._lead = LEAD_MS / 1000
        self._heard = 0  # samples of far activity so far (AEC3's warm-up)
        self._unsettled = 0  # samples left before the alignment counts as settled again
        self._since_far = 10**9  # samples since the reference was last active
        self._off_target: float | None = None  # a delay estimate that asked for a re-aim, awaiting a second
        self._far_stalled_at = -1  # the reference's end when waiting for it last timed out
        self.comfort = ComfortNoise()
        self._power: deque[tuple[float, float]] = deque(maxlen=100)

    # ------------------------------------------------------------------ AudioInput
    @property
    def name(self) -> str:  # type: ignore[override]
        """The microphone's name."""
        return self.source.name

    @property
    def drops(self) -> int:  # type: ignore[override]
        """Blocks the microphone dropped."""
        return self.source.drops

    @property
    def ended(self) -> bool:
        """Never, for a microphone."""
        return self.source.ended

    @property
    def reconnects(self) -> bool:  # type: ignore[override]
        """Whether the microphone can be opened again after it was lost."""
        return self.source.reconnects

    @property
    def block_time(self) -> float | None:  # type: ignore[override]
        """The microphone's capture time of the last block."""
        return self.source.block_time

    @property
    def hears_user(self) -> bool:
        """True when speech the VAD hears now can be the user's: someone spoke over the echo within
        the last ``USER_HOLD_S``, or no echo above the noise floor is expected now (False: only the echo)."""
        return self._no_echo or self._pos - self._user_at <= USER_HOLD_S * self.sample_rate

    @property
    def echo_expected(self) -> bool:
        """True when the latest block should hold some echo of Jarvis above the noise floor."""
        return not self._no_echo

    @property
    def talked(self) -> bool:
        """True when someone spoke over the echo within the last ``USER_HOLD_S`` (double talk seen:
        stricter than :attr:`hears_user`, which is also True whenever no echo is expected)."""
        return self._pos - self._user_at <= USER_HOLD_S * self.sample_rate

    @property
    def settled(self) -> bool:
        """True when echo alone should not reach the VAD: AEC3 has converged and the alignment is steady."""
        return not self.failed and self._heard >= WARMUP_S * self.sample_rate and self._unsettled <= 0

    def start(self) -> None:
        """Start the microphone."""
        self.source.start()

    def reopen(self, rescan: bool = False) -> None:
        """Open the microphone again after it was lost (its clock starts afresh)."""
        self.source.reopen(rescan)
        self._restart_clock()

    def close(self) -> None:
        """Close the microphone and free the canceller."""
        self.source.close()
        self.canceller.close()

    def read(self, timeout: float = 0.1) -> Any | None:
        """The next block with the echo taken out (the raw block once cancelling has failed)."""
        block = self.source.read(timeout)
        if block is None or len(block) == 0 or self.failed:
            return block
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        lost = self._lost_count()
        if lost != self._lost:  # the microphone lost samples: its sample count no longer tells time
            self._lost = lost
            self._restart_clock()
        start = self._pos
        self._pos += len(block)
        moves = self._clock.moves
        self._clock.add(start, self.source.block_time)
        if self._clock.moves != moves:
            self._moved()
        try:
            heard, talk = self._cancel(block, start)
        except Exception as exc:  # the native module failed: pass the raw audio on, say so once
            log.exception("echo cancellation failed")
            self._fail(f"it failed: {exc}")
            return block
        if talk and self.on_double_talk is not None:
            self.on_double_talk()
        return heard

    # ------------------------------------------------------------------ the work
    def _cancel(self, block: np.ndarray, start: int) -> tuple[np.ndarray, bool]:
        """(what the VAD hears of ``block``, whether someone spoke over the echo in it)."""
        self.reference.drain()
        epoch = self._clock.epoch
        t = None if epoch is None else epoch + start / self.sample_rate
        if t is None:
            if self.reference.end > 0 and self.stats.blocks > 100 and self.source.block_time is None:
                self._fail("the microphone reports no capture times, so the echo cannot be aligned")
            ref = np.zeros(len(block), np.float32)
        else:
            until = t + self._lead + len(block) / self.sample_rate
            self._wait_for_far(until)
            ref = self.reference.aligned(t + self._lead, len(block))
        self.canceller.far(ref)
        cancelled = self.canceller.near(block)
        active = float(np.sqrt(np.mean(np.square(ref)))) >= ACTIVE_RMS
        if active and self._since_far >= self.sample_rate:  # Jarvis starts speaking after a pause
            self._unsettled = max(self._unsettled, int(ONSET_S * self.sample_rate))
        self._since_far = 0 if active else self._since_far + len(block)
        echoing = self._since_far < ECHO_TAIL_S * self.sample_rate
        talk = self.double_talk.update(
            float(np.mean(np.square(block))), float(np.mean(np.square(ref))), self.comfort.floor
        )
        self._no_echo = talk is None
        if talk:
            self._user_at = start + len(block)
            self.stats.double_talk_blocks += 1
        self.comfort.observe(block, echoing)
        # no one speaks over the echo, and the floor is known (zeros would sound like a step to webrtcvad)
        residue_possible = echoing and not self.hears_user and self.comfort.floor is not None
        heard = self.comfort.fill(self._gate(block, cancelled) if residue_possible else cancelled)
        self.stats.comfort_blocks = self.comfort.filled
        self._account(block, cancelled, active)
        if t is not None:
            self.tracker.add(block, t, active)
            if self.tracker.due():
                self._measure()
        if self.tap is not None:
            self.tap(block, ref, cancelled, heard)
        return heard, bool(talk)

    def _wait_for_far(self, until: float) -> None:
        """Wait (at most ``FAR_WAIT_S``) until the speaker has played up to device time ``until``.

        The reference is taken ahead of the microphone's time, and on a busy CPU the speaker's callback
        may not have handed those samples over yet: without them the block's echo would pass.
        A speaker that makes no progress at all is not waited for again until it does.
        """
        played = self.reference.played_until
        if played is None or played >= until or self.reference.end == self._far_stalled_at:
            return
        deadline = time.monotonic() + FAR_WAIT_S
        while time.monotonic() < deadline:
            time.sleep(0.002)
            self.reference.drain()
            played = self.reference.played_until
            if played is not None and played >= until:
                return
        self.stats.far_late += 1
        self._far_stalled_at = self.reference.end

    def _gate(self, raw: np.ndarray, cancelled: np.ndarray) -> np.ndarray:
        """While Jarvis's voice is in the room: a block the canceller took more than ``RESIDUE_DB``
        out of is echo residue (AEC3 leaks a little at the start of a sentence, and webrtcvad then
        takes the next frames of plain noise for speech); it is replaced by the noise floor. The
        user's voice over the echo keeps most of its power through the canceller and passes."""
        r = float(np.mean(np.square(raw)))
        if r > 0 and float(np.mean(np.square(cancelled))) < r * 10 ** (-RESIDUE_DB / 10):
            self.stats.residue_blocks += 1
            return np.zeros_like(cancelled)
        return cancelled

    def _lost_count(self) -> int:
        return int(self.source.drops) + int(getattr(self.source, "overflows", 0))

    def _restart_clock(self) -> None:
        self._clock.reset()
        self._moved()

    def _moved(self) -> None:
        """The microphone's clock moved: settle again, and measure the delay only on audio from now on."""
        self.stats.clock_moves += 1
        self._unsettled = int(RESETTLE_S * self.sample_rate)
        self.tracker.forget()

    def _measure(self) -> None:
        found = self.tracker.estimate(self.reference)
        if found is None:
            return
        delay_ms, confidence = found
        stats = self.stats
        stats.estimates += 1
        stats.confidence = round(confidence, 1)
        if confidence < MIN_CONFIDENCE:
            return
        stats.delay_ms = delay_ms
        lead = delay_ms + self._lead * 1000
        previous, self._off_target = self._off_target, None
        if not MIN_LEAD_MS <= lead <= MAX_LEAD_MS:
            if previous is None or abs(previous - delay_ms) > AGREE_MS:  # one estimate could be a fluke
                self._off_target = delay_ms
                return
            self._lead = (TARGET_LEAD_MS - delay_ms) / 1000
            stats.realigned += 1
            self._unsettled = int(RESETTLE_S * self.sample_rate)
            log.info("echo reference re-aimed: echo %.0f ms after the clocks say, lead now %d ms",
                     delay_ms, TARGET_LEAD_MS)
        stats.lead_ms = round(delay_ms + self._lead * 1000, 1)

    def _account(self, raw: np.ndarray, out: np.ndarray, active: bool) -> None:
        stats = self.stats
        stats.blocks += 1
        stats.far_spans = self.reference.spans
        self._unsettled -= len(raw)
        if not active:
            return
        self._heard += len(raw)
        stats.far_active_blocks += 1
        self._power.append((float(np.mean(np.square(raw))), float(np.mean(np.square(out)))))
        r, o = sum(p[0] for p in self._power), sum(p[1] for p in self._power)
        stats.erle_db = round(10 * math.log10((r + 1e-20) / (o + 1e-20)), 1)

    def _fail(self, why: str) -> None:
        if self.failed:
            return
        self.failed = why
        if self.on_failure is not None:
            self.on_failure(why)
