"""Voice activity: a pure turn-taking state machine and the frame classifiers that feed it.

:class:`VadMachine` takes one fixed-length frame at a time with a speech/non-speech verdict and
moves quiet -> starting -> speaking -> stopping -> quiet, keeping a pre-roll, ignoring blips
shorter than ``min_speech_ms`` and cutting utterances at ``max_utterance_s``. It knows nothing about
devices or threads. Classifiers: :class:`WebRtcClassifier` (webrtcvad) and :class:`SileroClassifier`
(the silero ONNX model bundled with faster-whisper), chosen by :func:`make_classifier`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from jarvis.config import VADSettings
from jarvis.errors import ConfigError, MissingDependency

QUIET, STARTING, SPEAKING, STOPPING = "quiet", "starting", "speaking", "stopping"


@dataclass(frozen=True)
class Segment:
    """A finished utterance: float32 mono samples and how it ended."""

    audio: Any  # numpy.ndarray float32
    speech_ms: int  # voiced frames in it, in ms
    reason: str  # silence | max_length | flush | turn_model
    last_speech_frame: int  # index (in frames pushed so far) of the last voiced frame
    first_frame: int = -1  # index of the segment's first frame (its audio is the frames from here on)


@dataclass(frozen=True)
class VadStep:
    """What one frame did: the state after it, whether speech just started, and a finished segment."""

    state: str
    started: bool = False
    segment: Segment | None = None
    discarded: bool = False  # an utterance ended but was shorter than min_speech_ms
    check: bool = False  # the silence just reached check_ms: time to ask whether the turn is over
    partial: bool = False  # another partial_ms of speech: time to transcribe what was said so far


class VadMachine:
    """The quiet/starting/speaking/stopping state machine over fixed-length frames.

    Args:
        cfg: the VAD settings.
        sample_rate: of the frames.
        end_silence_ms: silence that ends an utterance (default ``cfg.end_silence_ms``).
        check_ms: flag the frame where the silence reaches this (:attr:`VadStep.check`; 0 = never);
            the caller may then end the utterance at once with :meth:`end_now`.
        partial_ms: flag a frame every this much of an utterance (:attr:`VadStep.partial`; 0 = never).
    """

    def __init__(
        self,
        cfg: VADSettings,
        sample_rate: int = 16000,
        *,
        end_silence_ms: int | None = None,
        check_ms: int = 0,
        partial_ms: int = 0,
    ) -> None:
        self.cfg = cfg
        self.sample_rate = sample_rate
        self.frame_ms = cfg.frame_ms
        self.frame_len = sample_rate * cfg.frame_ms // 1000
        ms = self.frame_ms
        self._start_frames = max(1, -(-cfg.start_ms // ms))
        self._end_frames = max(1, -(-(end_silence_ms or cfg.end_silence_ms) // ms))
        self._check_frames = -(-check_ms // ms) if check_ms else 0
        self._partial_frames = -(-partial_ms // ms) if partial_ms else 0
        self._min_frames = -(-cfg.min_speech_ms // ms)
        self._max_frames = max(1, int(cfg.max_utterance_s * 1000) // ms)
        self._preroll: deque = deque(maxlen=max(0, cfg.preroll_ms // ms))
        self.frames_seen = 0
        self.reset()

    def reset(self) -> None:
        """Forget any utterance in progress (the pre-roll too) and go quiet."""
        self.state = QUIET
        self._frames: list = []
        self._voiced = 0
        self._run = 0  # consecutive voiced frames while starting
        self._silence = 0  # consecutive unvoiced frames while starting/stopping
        self._last_voiced = -1
        self._partial_at = 0  # frames in the utterance when the last partial was flagged
        self._preroll.clear()

    def push(self, frame: Any, is_speech: bool) -> VadStep:
        """Feed one frame and its verdict; returns what happened."""
        idx = self.frames_seen
        self.frames_seen += 1
        if self.state == QUIET:
            if is_speech:
                self._frames = [*self._preroll, frame]
                self._preroll.clear()
                self._voiced, self._run, self._silence, self._last_voiced = 1, 1, 0, idx
                self.state = STARTING
                if self._run >= self._start_frames:
                    self.state = SPEAKING
                    return VadStep(SPEAKING, started=True)
            else:
                self._preroll.append(frame)
            return VadStep(self.state)

        self._frames.append(frame)
        if is_speech:
            self._voiced += 1
            self._last_voiced = idx
            self._silence = 0
        else:
            self._silence += 1
        if self.state == STARTING:
            self._run = self._run + 1 if is_speech else self._run
            if self._run >= self._start_frames:
                self.state = SPEAKING
                return self._check_max(VadStep(SPEAKING, started=True))
            if self._silence >= self._start_frames:  # a blip, not a turn: back to quiet
                keep = self._frames[-self._preroll.maxlen:] if self._preroll.maxlen else []
                self.reset()
                self._preroll.extend(keep)
            return VadStep(self.state)
        if self.state == SPEAKING and not is_speech:
            self.state = STOPPING
        elif self.state == STOPPING and is_speech:
            self.state = SPEAKING
        if self.state == STOPPING and self._silence >= self._end_frames:
            return self._finish("silence")
        check = self.state == STOPPING and self._silence == self._check_frames
        partial = bool(self._partial_frames) and len(self._frames) - self._partial_at >= self._partial_frames
        if partial:
            self._partial_at = len(self._frames)
        return self._check_max(VadStep(self.state, check=check, partial=partial))

    def use_silence_limit(self, end_silence_ms: int) -> None:
        """Stop flagging checks and end utterances after ``end_silence_ms`` of silence from now on."""
        self._end_frames = max(1, -(-end_silence_ms // self.frame_ms))
        self._check_frames = 0

    @property
    def last_speech_frame(self) -> int:
        """Index of the newest voiced frame of the utterance in progress (-1 when quiet)."""
        return self._last_voiced

    @property
    def start_frame(self) -> int:
        """Index of the first frame of the utterance in progress, pre-roll included (-1 when quiet)."""
        return self.frames_seen - len(self._frames) if self._frames else -1

    def audio_so_far(self) -> Any:
        """The utterance in progress as one float32 array (empty when quiet)."""
        import numpy as np

        return np.concatenate(self._frames).astype(np.float32) if self._frames else np.zeros(0, np.float32)

    def end_now(self, reason: str) -> VadStep:
        """End the utterance in progress here (the end-of-turn model said it is over)."""
        if self.state in (SPEAKING, STOPPING):
            return self._finish(reason)
        return VadStep(self.state)

    def _check_max(self, step: VadStep) -> VadStep:
        if len(self._frames) >= self._max_frames:
            end = self._finish("max_length")
            return VadStep(end.state, started=step.started, segment=end.segment, discarded=end.discarded)
        return step

    def flush(self) -> VadStep:
        """End the utterance in progress now (push-to-talk released, end of input)."""
        if self.state in (SPEAKING, STOPPING):
            return self._finish("flush")
        self.reset()
        return VadStep(QUIET)

    def _finish(self, reason: str) -> VadStep:
        import numpy as np

        voiced, frames, last, first = self._voiced, self._frames, self._last_voiced, self.start_frame
        # keep a little of the trailing silence (it helps the recogniser), drop the rest
        tail = max(0, self._silence - max(1, 300 // self.frame_ms))
        if tail:
            frames = frames[: len(frames) - tail]
        self.reset()
        if voiced < self._min_frames:
            return VadStep(QUIET, discarded=True)
        audio = np.concatenate(frames).astype(np.float32) if frames else np.zeros(0, np.float32)
        return VadStep(QUIET, segment=Segment(audio, voiced * self.frame_ms, reason, last, first))


class WebRtcClassifier:
    """webrtcvad speech/non-speech verdict per 10/20/30 ms frame of float32 mono audio."""

    def __init__(self, aggressiveness: int = 2, sample_rate: int = 16000) -> None:
        try:
            import webrtcvad
        except ImportError:
            raise MissingDependency(
                "webrtcvad is not installed", "run ./install.sh (it installs webrtcvad-wheels)"
            ) from None
        if sample_rate not in (8000, 16000, 32000, 48000):
            raise ConfigError(
                f"webrtcvad cannot work at {sample_rate} Hz",
                "set audio.sample_rate to 8000, 16000, 32000 or 48000",
            )
        self._vad = webrtcvad.Vad(aggressiveness)
        self.sample_rate = sample_rate

    def __call__(self, frame: Any) -> bool:
        """True when the frame holds speech."""
        import numpy as np

        pcm = (np.clip(frame, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        return bool(self._vad.is_speech(pcm, self.sample_rate))


class SileroClassifier:
    """Silero VAD (ONNX, shipped inside faster-whisper) run as a stream of 512-sample windows at 16 kHz."""

    window = 512
    context = 64

    def __init__(self, threshold: float = 0.5, sample_rate: int = 16000) -> None:
        import numpy as np

        if sample_rate != 16000:
            raise ConfigError(
                f"the silero VAD needs 16000 Hz audio, not {sample_rate}", "set audio.sample_rate = 16000"
            )
        try:
            from faster_whisper.vad import get_vad_model
        except ImportError:
            raise MissingDependency("faster-whisper is not installed", "run ./install.sh") from None
        self._session = get_vad_model().session
        self.threshold = threshold
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._ctx = np.zeros(self.context, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self.probability = 0.0

    def __call__(self, frame: Any) -> bool:
        """True when the newest complete window holds speech (probability >= threshold)."""
        import numpy as np

        self._pending = np.concatenate([self._pending, np.asarray(frame, dtype=np.float32)])
        while self._pending.size >= self.window:
            win, self._pending = self._pending[: self.window], self._pending[self.window:]
            batch = np.concatenate([self._ctx, win])[None, :]
            out, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
            self._ctx = win[-self.context:]
            self.probability = float(np.asarray(out).reshape(-1)[0])
        return self.probability >= self.threshold


def make_classifier(cfg: VADSettings, sample_rate: int = 16000) -> Any:
    """The frame classifier named by ``audio.vad.engine``."""
    if cfg.engine == "silero":
        return SileroClassifier(sample_rate=sample_rate)
    return WebRtcClassifier(cfg.aggressiveness, sample_rate)
