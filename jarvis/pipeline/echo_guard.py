"""The echo guard: how Jarvis keeps from hearing itself, and when the user's voice interrupts it.

Three ways (:mod:`jarvis.audio.echo_plan`), one of them chosen at start:

- ``none``: a headset (``audio.speakers = "headset"``); the microphone does not hear the speaker,
  so speech over Jarvis's voice is a barge-in (in wake-word mode, the wake word is);
- ``aec``: open speakers with echo cancellation: the microphone is wrapped in
  :class:`~jarvis.audio.echo_input.EchoCancelledInput`, the speaker's blocks as its reference
  (:class:`~jarvis.audio.echo_reference.EchoReference`). Speech over Jarvis's voice counts only
  once the microphone holds more than the echo (double talk); until then a start is unconfirmed
  and an utterance of echo alone is dropped. The first sign of the user's voice pauses Jarvis at
  once, before the VAD confirms the barge-in (the provisional pause, :mod:`jarvis.audio.barge_in`:
  a false alarm resumes it; ``BargeInPause`` says which);
- ``mute``: open speakers without echo cancellation: the microphone is ignored while Jarvis speaks.

With ``audio.barge_in.hear_first`` (the default) speech over Jarvis's voice does not cut it at
once: the voice is held (:class:`~jarvis.pipeline.floor.FloorHold`) and what was said decides. A
backchannel ("mm-hmm", "ajá") or a cough resumes it; words that ask for the floor, or speech too
long to be a backchannel, cut it (:mod:`jarvis.pipeline.floor`).

The guard only decides; a confirmed interruption goes through the one barge-in path
(:mod:`jarvis.pipeline.barge_in`). Its callbacks run in the VAD thread, but :meth:`EchoGuard.settle`
(the STT thread's verdict on a held utterance).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from jarvis.audio.barge_in import PAUSE, RESUME, PauseGate
from jarvis.audio.events import BargeInPause
from jarvis.audio.vad import QUIET
from jarvis.config import AudioSettings, EchoCancel, Speakers
from jarvis.errors import JarvisError
from jarvis.messages import StageError, Utterance
from jarvis.pipeline.floor import FloorHold

if TYPE_CHECKING:
    from jarvis.audio.devices import AudioInput, AudioOutput
    from jarvis.audio.echo_input import EchoCancelledInput
    from jarvis.audio.echo_reference import EchoReference
    from jarvis.audio.playback import Player

log = logging.getLogger(__name__)

GuardMode = Literal["none", "aec", "mute"]
HOLD_MAX_S = 4.0  # a held reply plays on by itself after this (each new sign of speech holds it again)


class EchoGuard:
    """Echo cancellation, the provisional pause and double talk, for one microphone and speaker.

    Args:
        audio: the ``[audio]`` settings (``barge_in``, ``vad.frame_ms``, ``headset``).
        publish: where notes and ``BargeInPause`` go (the event bus).
        speakers: ``headset`` or ``open``.
        echo_cancel: ``auto``, ``on`` or ``off`` for open speakers.
        speaks: whether Jarvis speaks at all (without a speaker there is no echo to cancel).

    Call :meth:`wrap` on the microphone, :meth:`reference_for` for the speaker, then :meth:`attach`.
    """

    def __init__(
        self, audio: AudioSettings, publish: Callable[[Any], None], *, speakers: Speakers,
        echo_cancel: EchoCancel, speaks: bool,
    ) -> None:
        self.audio = audio
        self.publish = publish
        self.speakers: Speakers = speakers
        self.echo_cancel: EchoCancel = echo_cancel
        self.speaks = speaks
        self.input: EchoCancelledInput | None = None  # the echo-cancelled microphone, when in use
        self.reference: EchoReference | None = None  # what the speaker played (the echo's reference)
        barge = audio.barge_in
        self.gate = PauseGate.from_ms(barge.pause_ms, barge.resume_ms, audio.vad.frame_ms) if barge.pause else None
        self._frame_ms = audio.vad.frame_ms
        self._pause_max_s = barge.resume_ms / 1000 + 0.25  # the player resumes by itself after this
        # speech over the reply is heard before it cuts (None: the VAD's start cuts at once)
        self.hold = FloorHold(max(1, (barge.floor_ms - audio.vad.start_ms) // audio.vad.frame_ms)) \
            if barge.hear_first else None
        self._hold_max_s = HOLD_MAX_S
        self._hold_cut = False  # a hold ends in a cut: the barge-in confirms it
        # audio.only_my_voice: is the speech heard so far the owner's? (None: every voice counts)
        self.owner_of: Callable[[], bool] | None = None
        self._talk_at_pause = 0  # double-talk blocks counted when the voice was paused
        self._unconfirmed = False  # the VAD started over the echo, with no sign of the user yet
        self._player: Player | None = None
        self._barge_in: Callable[[], object] = lambda: None
        self._speaking: Callable[[], bool] = lambda: False
        self._wake_mode: Callable[[], bool] = lambda: False

    def attach(
        self, player: Player | None, barge_in: Callable[[], object], speaking: Callable[[], bool],
        wake_mode: Callable[[], bool],
    ) -> None:
        """Wire the guard: the player it may pause, the barge-in it calls, "is Jarvis speaking now?"
        and "is the wake word what interrupts?" (then speech alone never does)."""
        self._player, self._barge_in, self._speaking, self._wake_mode = player, barge_in, speaking, wake_mode

    # ------------------------------------------------------------------ set-up
    @property
    def mode(self) -> GuardMode:
        """How Jarvis keeps from hearing itself now: ``none`` (headset), ``aec`` or ``mute``."""
        if self.speakers == "headset":
            return "none"
        if self.input is not None and not self.input.failed:
            return "aec"
        return "mute"

    def wrap(self, source: AudioInput) -> AudioInput:
        """With open speakers, wrap a live microphone in echo cancellation when it works here.

        Otherwise the microphone is muted while Jarvis speaks; when that is a fallback (not
        ``echo_cancel = "off"``, not a WAV file), one line says why (in the chat when ``"on"``).
        """
        from jarvis.notices import notice

        if self.audio.headset is not None:
            from jarvis.audio.echo_plan import HEADSET_DEPRECATED

            notice(HEADSET_DEPRECATED)
        if self.speakers == "headset" or self.echo_cancel == "off" or not source.live or not self.speaks:
            return source
        from jarvis.audio.echo_plan import aec_problem, fallback_line

        problem = aec_problem(source.sample_rate)
        if problem is None:
            from jarvis.audio.devices import OUTPUT_RATE
            from jarvis.audio.echo_input import EchoCancelledInput
            from jarvis.audio.echo_reference import EchoReference

            try:
                self.reference = EchoReference(OUTPUT_RATE, source.sample_rate)
                self.input = EchoCancelledInput(
                    source, self.reference, on_failure=self._failed, on_double_talk=self.on_double_talk
                )
                return self.input
            except JarvisError as exc:
                problem = exc.message
        self.reference = None
        message, hint = fallback_line(problem)
        notice(message)
        if self.echo_cancel == "on":
            self.publish(StageError("audio", message, hint))
        return source

    def reference_for(self, output: AudioOutput) -> Callable[[Any, float], None] | None:
        """What the player hands each block it writes to (None: no echo to cancel on this output)."""
        if self.reference is None or not output.live:
            return None
        self.reference.set_output_rate(output.sample_rate)
        return self.reference.push

    def _failed(self, why: str) -> None:
        """Echo cancellation broke while listening (VAD thread): mute while speaking from now on."""
        from jarvis.audio.echo_plan import fallback_line
        from jarvis.notices import notice

        message, hint = fallback_line(why)
        notice(message)
        self.publish(StageError("audio", message, hint))

    # ------------------------------------------------------------------ VAD-thread callbacks
    def muted(self) -> bool:
        """Ignore the microphone now? While Jarvis speaks without a headset or echo cancellation, and
        while the echo canceller has not settled (it leaks for about a second after it starts or its
        alignment moves)."""
        if not self._speaking():
            return False
        mode = self.mode
        return mode == "mute" or (mode == "aec" and self.input is not None and not self.input.settled)

    def interrupts_on_wake(self) -> bool:
        """The wake word was heard: does it interrupt Jarvis (speaking, and not muted)?"""
        return self._speaking() and self.mode != "mute"

    def on_speech_start(self) -> None:
        """The VAD heard speech start: interrupt Jarvis when it may be the user.

        With echo cancellation, speech over Jarvis's voice counts only once the microphone holds
        more than the echo (double talk); until then the start is unconfirmed (a leak of echo).
        While a provisional pause holds Jarvis's voice, the room soon holds no echo to tell a leak
        by: the start counts only with double talk seen again since the pause, or speech heard
        with no echo left (:attr:`~jarvis.audio.barge_in.PauseGate.room_confirms`)."""
        self._unconfirmed = False
        if self._wake_mode() or not self._speaking() or self.mode == "mute":  # wake word: it interrupts
            return
        echo = self.input
        if self.mode == "aec" and echo is not None:
            gate = self.gate
            if gate is not None and gate.paused:
                heard = echo.stats.double_talk_blocks > self._talk_at_pause or gate.room_confirms
            else:
                heard = echo.hears_user
            if not heard:
                self._unconfirmed = True  # double talk still confirms it (on_double_talk), or it resumes
                return
        self._claim()

    def _claim(self) -> None:
        """The user's voice over Jarvis's: cut now, or (``hear_first``) hold the reply until what
        they say decides."""
        hold, player = self.hold, self._player
        if hold is None or player is None:
            self._barge_in()
            return
        first = hold.begin()
        player.pause(self._hold_max_s)
        gate = self.gate
        if first and not (gate is not None and gate.paused):
            self.publish(BargeInPause("paused"))  # else the provisional pause said so already

    def settle(self, floor: bool, said: str = "") -> None:
        """What was said over the held reply decided (STT thread): ``floor`` cuts the reply (the
        barge-in), else it plays on from where it was held. Once per hold; later calls do nothing."""
        hold = self.hold
        if hold is None or not hold.settle():
            return
        if floor:
            self._hold_cut = True  # confirm_pause (the barge-in's first step) says the hold was confirmed
            self._barge_in()
            return
        self._resume(said)

    def _resume(self, said: str = "") -> None:
        """The held reply was no interruption: play on from where it was held."""
        gate, player = self.gate, self._player
        held = gate.held * self._frame_ms if gate is not None else 0
        if gate is not None:
            gate.reset()
        if player is not None:
            player.resume()
        self.publish(BargeInPause("resumed", held, said))

    @property
    def watches_frames(self) -> bool:
        """True when :meth:`on_frame` has work to do (the provisional pause or the hold is on)."""
        return self.gate is not None or self.hold is not None

    @property
    def holding(self) -> bool:
        """True while Jarvis's reply is held for what the user says over it to decide."""
        return self.hold is not None and self.hold.active

    def on_frame(self, voiced: bool, vad_state: str) -> None:
        """Each VAD frame heard: pause Jarvis's voice at the first sign of the user over its echo;
        play on when that was no barge-in (:mod:`jarvis.audio.barge_in`)."""
        gate, player, echo = self.gate, self._player, self.input
        hold = self.hold
        if hold is not None and hold.active:
            if gate is not None and gate.paused:
                gate.held += 1
            if not self._speaking():  # the reply is over (or was cut another way): nothing to hold
                if hold.settle():
                    self._resume()
                return
            verdict = hold.frame(voiced, vad_state == QUIET)
            if verdict == "floor":  # too long for a backchannel: cut now (the owner's voice), the utterance goes on
                self.settle(self.owner_of is None or self.owner_of())
            elif verdict == "blip":  # the VAD dropped it (too short to be a turn): play on
                self.settle(False)
            return
        if gate is None or player is None or echo is None:
            return
        if gate.paused and not player.paused:  # the pause ran out meanwhile (no frames came: muted)
            gate.reset()
            self.publish(BargeInPause("resumed", round(self._pause_max_s * 1000)))
        may_pause = not self._wake_mode() and self.mode == "aec" and player.buffer.busy()
        if not gate.paused and not may_pause:
            gate.reset()
            return
        action = gate.frame(voiced, echo.talked, vad_state, echo.echo_expected)
        if gate.paused and self._unconfirmed and gate.room_confirms:  # started, and the room says it was speech
            self._unconfirmed = False
            self._claim()
        elif action == PAUSE:
            self._talk_at_pause = echo.stats.double_talk_blocks
            player.pause(self._pause_max_s)
            self.publish(BargeInPause("paused"))
        elif action == RESUME:
            player.resume()
            self.publish(BargeInPause("resumed", gate.held * self._frame_ms))

    def on_double_talk(self) -> None:
        """Someone speaks over Jarvis's echo: an unconfirmed start was the user after all."""
        if self._unconfirmed:
            self._unconfirmed = False
            if self._speaking():
                self._claim()

    def passes(self, utt: Utterance) -> bool:
        """Send this utterance on to speech recognition? Not when it was only Jarvis's echo (it began
        over Jarvis's voice, never showed the user, and ended while Jarvis still spoke)."""
        echo_only = self._unconfirmed and self._speaking()
        self._unconfirmed = False
        if echo_only:
            log.debug("an utterance of echo alone was dropped (%.1f s)", len(utt.audio) / utt.sample_rate)
        return not echo_only

    def held(self, utt: Utterance) -> bool:
        """Was ``utt`` said over the held reply (its words then :meth:`settle` the hold)? Keeps the
        reply held while it is transcribed."""
        hold, player = self.hold, self._player
        if hold is None or not hold.active or player is None:
            return False
        if not self._speaking():
            if hold.settle():
                self._resume()
            return False
        hold.heard()
        player.pause(self._hold_max_s)
        return True

    def confirm_pause(self) -> None:
        """A barge-in is happening: a provisional pause in force was the user after all."""
        gate, hold = self.gate, self.hold
        held_now = hold is not None and hold.settle()  # another way in (the talk key) ends a hold too
        was_held, self._hold_cut = held_now or self._hold_cut, False
        if gate is not None and gate.paused:
            held = gate.held * self._frame_ms
            gate.reset()
            self.publish(BargeInPause("confirmed", held))
        elif was_held:
            self.publish(BargeInPause("confirmed"))
