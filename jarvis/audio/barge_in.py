"""Provisional barge-in: pause Jarvis's voice at the first sign of the user, then confirm or resume.

With open speakers and echo cancellation the VAD needs ``audio.vad.start_ms`` of voiced frames
before a barge-in counts, and webrtcvad itself lags the voice's onset: the user hears Jarvis go on
talking for a few hundred ms. :class:`PauseGate` acts earlier, frame by frame while Jarvis speaks:
a voiced frame (``audio.barge_in.pause_ms`` of them) heard while the microphone has just held more
than Jarvis's echo can explain (double talk,
:attr:`~jarvis.audio.echo_input.EchoCancelledInput.talked`) pauses the voice; nothing is dropped
and the reply is still generated. The VAD's normal start then confirms it (the real barge-in; the
voice loop asks for double talk again since the pause, as the room soon holds no echo to tell a
leak by); a blip that ends first (the VAD goes quiet again), or no confirmed start within
``audio.barge_in.resume_ms``, resumes the voice where it paused. Pure logic: no devices, no
threads, no clocks (frames count the time).

Measured on the loopback rig (``bench/echo_live.py``, the old path's own frames, 48 replies):
webrtcvad's first voiced frame with double talk comes as early as any signal tried (Silero,
energy over the noise floor, double talk alone) and never fired on the echo alone; double talk
alone fires about once per reply on the echo.
"""

from __future__ import annotations

from typing import Literal

from jarvis.audio.vad import QUIET, STARTING

PAUSE, RESUME = "pause", "resume"
# Voiced frames heard, while paused, with no echo left in the room to leak: real sound, past
# webrtcvad's hangover (it holds even a 30 ms click as speech for about three frames more).
ROOM_FRAMES = 4
Action = Literal["pause", "resume"]


class PauseGate:
    """When to pause Jarvis's voice, and when a pause was a false alarm. One call per VAD frame.

    Args:
        pause_frames: voiced frames in a row, heard with double talk, that pause Jarvis.
        resume_frames: frames after a pause within which the VAD must start, else Jarvis resumes.
    """

    def __init__(self, pause_frames: int, resume_frames: int) -> None:
        self.pause_frames = max(1, pause_frames)
        self.resume_frames = max(1, resume_frames)
        self.paused = False
        self.held = 0  # frames the latest pause has lasted (kept after it resumed)
        self.room_voiced = 0  # voiced frames heard during the pause with no echo expected
        self._run = 0  # voiced frames in a row

    @classmethod
    def from_ms(cls, pause_ms: int, resume_ms: int, frame_ms: int) -> PauseGate:
        """A gate for frames of ``frame_ms`` (the times rounded up to whole frames)."""
        return cls(-(-pause_ms // frame_ms), -(-resume_ms // frame_ms))

    @property
    def room_confirms(self) -> bool:
        """The pause heard ``ROOM_FRAMES`` voiced frames with no echo left to explain them."""
        return self.room_voiced >= ROOM_FRAMES

    def frame(self, voiced: bool, user: bool, vad_state: str, echo: bool = True) -> Action | None:
        """One VAD frame while Jarvis speaks.

        Args:
            voiced: the frame classifier's verdict.
            user: the microphone held more than the echo explains just now (double talk).
            vad_state: the VAD's state after this frame.
            echo: some echo of Jarvis's voice is still expected in the microphone.

        Returns:
            ``"pause"`` (pause the voice now), ``"resume"`` (it was no barge-in: play on) or None.
        """
        self._run = self._run + 1 if voiced else 0
        if self.paused:
            self.held += 1
            self.room_voiced += voiced and not echo
            if self.room_confirms and vad_state != QUIET:  # the voice pipeline confirms it
                return None
            if vad_state == QUIET or self.held >= self.resume_frames:  # a blip that ended, or no start in time
                self.paused, self._run = False, 0
                return RESUME
            return None
        # only before the VAD's own start: once it started, the normal barge-in decides
        if vad_state == STARTING and user and self._run >= self.pause_frames:
            self.paused, self.held, self.room_voiced = True, 0, 0
            return PAUSE
        return None

    def reset(self) -> None:
        """Forget the pause and the run (after a barge-in, or when Jarvis stopped speaking)."""
        self.paused = False
        self.held = self.room_voiced = 0
        self._run = 0
