"""Listening modes: when the microphone's speech becomes a turn (``audio.mode``).

- **push-to-talk** (``ptt``): the talk key is a toggle (:meth:`ListeningModes.ptt_toggle`); the
  microphone is open from one press to the next, or until the utterance ends;
- **hands-free**: the microphone listens all the time;
- **wake word**: it listens all the time but takes a turn only after "hey jarvis" (a
  :class:`~jarvis.audio.wake_listener.WakeListener` in the VAD thread: a chime and ``WakeDetected``
  when it wakes, ``WakeScore`` live, and a follow-up window after each reply without the wake word).

The talk key while Jarvis is busy interrupts it (the one barge-in path,
:mod:`jarvis.pipeline.barge_in`). Who is busy is watched from the event bus (:meth:`observe`): a
reply is being prepared, generated or spoken. Control calls are thread safe and never block.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jarvis.audio.events import HeardText, ListeningChanged
from jarvis.config import AudioMode, AudioSettings
from jarvis.errors import AudioDeviceError, JarvisError
from jarvis.heap import trim_heap
from jarvis.messages import ReplyDone, StageError, StatusChange, StopRequested, Utterance

if TYPE_CHECKING:
    from jarvis.audio.playback import Player
    from jarvis.audio.segmenter import Segmenter
    from jarvis.audio.wake_listener import WakeListener
    from jarvis.audio.wake_word import WakeDetection, WakeWordDetector
    from jarvis.pipeline.barge_in import BargeIn
    from jarvis.pipeline.echo_guard import EchoGuard

NO_MIC_HINT = "set audio.input_device (see `jarvis doctor`); keyboard chat still works"


class ListeningModes:
    """Push-to-talk, hands-free and wake word over one microphone (the segmenter).

    Args:
        audio: the ``[audio]`` settings (``mode``, ``wake``).
        mode: the mode to start in.
        publish: where ``ListeningChanged`` and errors go (the event bus).
        barge_in: the one barge-in path.
        echo: the echo guard (does the wake word interrupt Jarvis now?).
        player: the speaker (None: replies are not spoken).
        wake_detector: loads the wake-word detector (raises ModelNotFound / ModelLoadError).

    Call :meth:`prepare_wake` before the segmenter is built and :meth:`attach` after.
    """

    def __init__(
        self, audio: AudioSettings, mode: AudioMode, publish: Callable[[Any], None], barge_in: BargeIn,
        echo: EchoGuard, player: Player | None, wake_detector: Callable[[], WakeWordDetector],
    ) -> None:
        self.audio = audio
        self.mode: AudioMode = mode
        # what the hands-free key turns on: the configured hands-free mode (plain hands-free by default)
        self._hands_free_mode: AudioMode = next(m for m in (mode, audio.mode, "hands_free") if m != "ptt")
        self.publish = publish
        self.barge_in = barge_in
        self.echo = echo
        self.player = player
        self._wake_detector = wake_detector
        self.wake: WakeListener | None = None
        self.segmenter: Segmenter | None = None
        self._cue_until = 0.0  # the wake chime plays until then (it is no reply: the mic stays open)
        self._busy = False
        self._ptt_open = False
        barge_in.after(self._not_busy)

    # ------------------------------------------------------------------ set-up
    def prepare_wake(self, sample_rate: int) -> WakeListener | None:
        """Wake-word mode at start: load the listener for the segmenter; without its model, say so
        and fall back to push-to-talk. Returns the listener the segmenter should use (None: none)."""
        if self.mode != "wake_word":
            return None
        try:
            self.wake = self._make_wake(sample_rate)
        except JarvisError as exc:
            self.mode = "ptt"
            self.publish(StageError("wake", f"{exc.message}; push-to-talk instead of the wake word", exc.hint,
                                    cause=exc))
        return self.wake

    def attach(self, segmenter: Segmenter | None) -> None:
        """The microphone to drive (None: there is none; control calls then say so)."""
        self.segmenter = segmenter

    def _make_wake(self, sample_rate: int) -> WakeListener:
        from jarvis.audio.wake_listener import WakeListener

        return WakeListener(self._wake_detector(), self.audio.wake, sample_rate, self.publish, on_wake=self.on_wake)

    # ------------------------------------------------------------------ state
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
        """True while Jarvis's voice plays (the wake chime is no reply)."""
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

    # ------------------------------------------------------------------ control
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
        self.publish_mode()

    def _set_ptt(self, on: bool) -> None:
        self._ptt_open = on
        self._mic().set_listening(on, flush=True)
        self.publish_mode()

    def publish_mode(self) -> None:
        """Say how Jarvis listens now (``ListeningChanged``)."""
        if self.segmenter is None:
            self.publish(ListeningChanged("off", False))
        elif self.hands_free:
            self.publish(ListeningChanged(self.mode, True))
        else:
            self.publish(ListeningChanged("ptt", self._ptt_open))

    # ------------------------------------------------------------------ callbacks
    def on_wake(self, detection: WakeDetection) -> None:
        """The wake word was heard (VAD thread): interrupt Jarvis (headset or echo cancelled), chime."""
        if self.echo.interrupts_on_wake():
            self.barge_in()
        if self.audio.wake.chime and self.player is not None:
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

    def utterance_ended(self, utt: Utterance) -> None:
        """An utterance was cut (VAD thread): push-to-talk closes the microphone."""
        if self._ptt_open and not self.hands_free and self.segmenter is not None:
            self._ptt_open = False
            self.segmenter.set_listening(False, flush=False)
            self.publish_mode()

    def turn_taken(self) -> None:
        """A voice turn was submitted (STT thread): busy from now on."""
        self._busy = True
        if self.wake is not None:
            self.wake.turn_taken()

    def _not_busy(self) -> None:
        self._busy = False

    def observe(self, ev: Any) -> None:
        """Bus observer: who is busy, the follow-up window, and a spoken "stop" (returns at once)."""
        if isinstance(ev, StopRequested) and self.speaking:
            threading.Thread(target=self.barge_in, name="jarvis-stop", daemon=True).start()
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
