"""Wake word ("hey jarvis") on the device: openWakeWord's ONNX models run with onnxruntime.

Three small ONNX models taken out of the ``openwakeword==0.5.1`` wheel by ``install.sh`` (no
openWakeWord runtime, no tflite): a mel-spectrogram front end, Google's ``speech_embedding``
backbone and the ``hey_jarvis_v0.1`` classifier. Audio goes in as 16 kHz mono, in blocks of any
length; every 80 ms frame (1280 samples) gives one score in 0..1. A score at or over the threshold
wakes, then the detector stays quiet for a refractory period so one "hey jarvis" wakes once.

:class:`WakeWordDetector` is the streaming detector (``feed`` blocks as they arrive; ``last_score``
for a live meter); :func:`detect_file` runs it over a WAV file; :class:`WakeGate` keeps the
follow-up window (no wake word needed for a few seconds after a reply).

A :class:`WakeDetection` gives the stream sample where the wake fired (the end of the 80 ms frame
that crossed the threshold). Measured by ``bench/wake_word.py``: "hey" began 0.6-1.0 s before it
and "jarvis" ended about :data:`TYPICAL_LAG_S` before it, so ``phrase_start_sample`` is a safe
start for the turn's audio ("hey jarvis, what time is it" is one turn) and ``phrase_end_sample``
where the question that follows in the same breath starts; :func:`strip_wake_phrase` removes the
leading "hey jarvis" from the transcript.

The pre-trained openWakeWord models are licensed CC BY-NC-SA 4.0 (non-commercial use only); the
code that runs them here is Jarvis's own.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jarvis.errors import ModelLoadError, ModelNotFound

SAMPLE_RATE = 16000
FRAME_SAMPLES = 1280  # 80 ms: one score per frame
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
MEL_FILE = "melspectrogram.onnx"
EMBEDDING_FILE = "embedding_model.onnx"
LICENCE = "openWakeWord pre-trained models: CC BY-NC-SA 4.0 (non-commercial use only)"
# How long after the end of "jarvis" the wake fires at the default threshold (median over the
# spoken fixtures, bench/wake_word.py: -0.10..+0.26 s); the question starts about this far before it.
TYPICAL_LAG_S = 0.1
# How far before the detection "hey" began, at most, with a margin for slow speakers (0.64-1.04 s
# on the fixtures).
PHRASE_LOOKBACK_S = 1.5
_MEL_CONTEXT = 480  # 3 hops of 160 samples the mel front end needs before a frame
_MEL_WINDOW = 76  # mel frames the embedding model looks at
_EMBED_STEP = 8  # mel frames per 80 ms frame
_WARMUP_FRAMES = 5  # scores of the first frames after a reset are 0 (openWakeWord does the same)
_INSTALL_HINT = "run ./install.sh (it takes the models from the openwakeword 0.5.1 wheel)"


@dataclass(frozen=True)
class WakeDetection:
    """One wake: where in the stream it fired and how sure the model was.

    ``sample`` is the stream offset (samples fed since the detector was made) at the end of the
    80 ms frame whose score crossed the threshold; ``time_s`` is the same in seconds.
    """

    sample: int
    score: float

    @property
    def time_s(self) -> float:
        """The detection time in seconds from the start of the stream."""
        return self.sample / SAMPLE_RATE

    @property
    def phrase_end_sample(self) -> int:
        """Where the wake phrase most likely ended (the question that follows starts about here)."""
        return max(0, self.sample - int(TYPICAL_LAG_S * SAMPLE_RATE))

    @property
    def phrase_start_sample(self) -> int:
        """A point just before "hey": audio from here on holds the whole wake phrase and the question."""
        return max(0, self.sample - int(PHRASE_LOOKBACK_S * SAMPLE_RATE))

    def to_dict(self) -> dict[str, float | int]:
        """Plain data for ``--json``."""
        return {
            "time_s": round(self.time_s, 3),
            "sample": self.sample,
            "score": round(self.score, 4),
            "phrase_start_s": round(self.phrase_start_sample / SAMPLE_RATE, 3),
            "phrase_end_s": round(self.phrase_end_sample / SAMPLE_RATE, 3),
        }


@dataclass
class WakeFileResult:
    """Every detection in a file, plus each frame's score (frame ``i`` ends at ``(i + 1) * 1280``)."""

    detections: list[WakeDetection]
    scores: Any  # numpy float32, one per 80 ms frame
    duration_s: float
    seconds: float = 0.0  # time spent scoring
    threshold: float = 0.5

    @property
    def max_score(self) -> float:
        """The highest frame score in the file."""
        return float(self.scores.max()) if len(self.scores) else 0.0

    @property
    def max_score_time_s(self) -> float:
        """When the highest score came (end of its frame), in seconds."""
        return (int(self.scores.argmax()) + 1) * FRAME_S if len(self.scores) else 0.0


@dataclass
class _Refractory:
    """Threshold and refractory period over a stream of frame scores (shared by stream and batch)."""

    threshold: float
    refractory_frames: int
    quiet_until: int = field(default=-1)

    def step(self, frame_index: int, score: float) -> bool:
        """True when the frame ``frame_index`` with ``score`` is a new detection."""
        if score >= self.threshold and frame_index > self.quiet_until:
            self.quiet_until = frame_index + self.refractory_frames
            return True
        return False


def detections_from_scores(
    scores: Any, threshold: float, refractory_s: float = 2.0, first_sample: int = 0
) -> list[WakeDetection]:
    """The detections a stream of 80 ms frame ``scores`` gives at ``threshold`` (pure; for tuning)."""
    gate = _Refractory(threshold, round(refractory_s / FRAME_S))
    return [
        WakeDetection(first_sample + (i + 1) * FRAME_SAMPLES, float(s))
        for i, s in enumerate(scores)
        if gate.step(i, float(s))
    ]


def wake_model_files(model: Path) -> tuple[Path, Path, Path]:
    """(classifier, mel front end, embedding model): the two shared models lie beside the classifier."""
    model = Path(model)
    return model, model.with_name(MEL_FILE), model.with_name(EMBEDDING_FILE)


class WakeWordDetector:
    """Streaming wake-word detector over 16 kHz mono audio.

    Args:
        model: the wake-word classifier ONNX (e.g. ``models/wake/hey_jarvis_v0.1.onnx``);
            ``melspectrogram.onnx`` and ``embedding_model.onnx`` must lie beside it.
        threshold: the score (0..1) a frame needs to wake; lower wakes more easily (more false wakes).
        refractory_s: after a wake, no other one for this long.
        threads: onnxruntime intra-op threads per model (1 leaves the other cores to STT and the LLM).

    Raises:
        ModelNotFound: a model file is missing.
        ModelLoadError: onnxruntime refused one (corrupt or not an openWakeWord model).
    """

    def __init__(self, model: Path, threshold: float = 0.5, refractory_s: float = 2.0, threads: int = 1) -> None:
        import numpy as np

        paths = wake_model_files(model)
        for p in paths:
            if not p.is_file():
                raise ModelNotFound(f"wake-word model not found: {p}", _INSTALL_HINT)
        self.model_path = paths[0]
        self._classifier = self._session(paths[0], threads)
        self._mel = self._session(paths[1], threads)
        self._embedding = self._session(paths[2], threads)
        try:
            inp = self._classifier.get_inputs()[0]
            self._cls_input = inp.name
            self._feature_frames = int(inp.shape[1])
            self._mel_input = self._mel.get_inputs()[0].name
            self._emb_input = self._embedding.get_inputs()[0].name
            self._rng_features = self._noise_features(np.random.default_rng(0))
            self._classifier.run(None, {self._cls_input: self._rng_features[None, -self._feature_frames :]})
        except Exception as exc:  # a wrong model: bad shapes, or onnxruntime refusing the inputs
            raise ModelLoadError(f"{self.model_path.name} is not an openWakeWord model: {exc}", _INSTALL_HINT) from None
        self.threshold = float(threshold)
        self.refractory_s = float(refractory_s)
        self.last_score = 0.0
        self.samples_seen = 0  # stream position: samples fed since the detector was made
        self.frames_scored = 0
        self.seconds = 0.0  # time spent scoring, for the per-frame cost
        self.reset()

    @staticmethod
    def _session(path: Path, threads: int) -> Any:
        from jarvis.onnx_session import cpu_session

        try:
            return cpu_session(path, max(1, threads))
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelLoadError(f"cannot load the wake-word model {path.name}: {exc}", _INSTALL_HINT) from None

    # -- the three models -------------------------------------------------------------------------

    def _melspectrogram(self, samples: Any) -> Any:
        """(frames, 32) mel features of int16-scaled float32 ``samples`` (openWakeWord's scaling)."""
        import numpy as np

        out = self._mel.run(None, {self._mel_input: samples[None, :].astype(np.float32)})[0]
        return np.squeeze(out) / 10.0 + 2.0

    def _embed(self, windows: Any) -> Any:
        """(n, 96) embeddings of (n, 76, 32) mel windows."""
        import numpy as np

        out = self._embedding.run(None, {self._emb_input: windows[:, :, :, None].astype(np.float32)})[0]
        return out.reshape(len(windows), -1)

    def _noise_features(self, rng: Any) -> Any:
        """Embeddings of 4 s of faint noise: the history the classifier sees before real audio."""
        import numpy as np

        mel = self._melspectrogram(rng.integers(-1000, 1000, 4 * SAMPLE_RATE).astype(np.float32))
        starts = range(0, mel.shape[0] - _MEL_WINDOW + 1, _EMBED_STEP)
        return self._embed(np.stack([mel[i : i + _MEL_WINDOW] for i in starts]))

    # -- streaming --------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the audio heard so far (e.g. after a turn); the stream position keeps counting."""
        import numpy as np

        self._tail = np.zeros(_MEL_CONTEXT, np.float32)  # the samples before the next frame
        self._pending = np.zeros(0, np.float32)  # fed samples not yet a whole frame
        self._mels = np.ones((_MEL_WINDOW, 32), np.float32)
        self._features = self._rng_features[-self._feature_frames :].copy()
        self._frames_since_reset = 0
        self._gate = _Refractory(self.threshold, round(self.refractory_s / FRAME_S))
        self._gate_frame = 0
        self.last_score = 0.0

    def _score_frame(self, frame: Any) -> float:
        """Score one 1280-sample frame (int16-scaled float32) and advance the model state."""
        import numpy as np

        t0 = time.perf_counter()
        mel = self._melspectrogram(np.concatenate([self._tail, frame]))
        self._tail = frame[-_MEL_CONTEXT:]
        self._mels = np.vstack([self._mels, mel])[-_MEL_WINDOW:]
        emb = self._embed(self._mels[None])
        self._features = np.vstack([self._features, emb])[-self._feature_frames :]
        out = self._classifier.run(None, {self._cls_input: self._features[None].astype(np.float32)})[0]
        score = float(np.asarray(out).reshape(-1)[0])
        self._frames_since_reset += 1
        if self._frames_since_reset <= _WARMUP_FRAMES:
            score = 0.0
        self.seconds += time.perf_counter() - t0
        self.frames_scored += 1
        self.last_score = score
        return score

    def frame_scores(self, audio: Any) -> list[tuple[int, float]]:
        """Feed ``audio``; (stream sample at the frame's end, score) for each whole frame it completed.

        ``audio``: 16 kHz mono, int16 samples or floats in -1..1, any length (a remainder waits for
        the next call).
        """
        import numpy as np

        arr = np.asarray(audio).reshape(-1)
        if arr.dtype == np.int16:
            data = arr.astype(np.float32)
        else:
            data = np.clip(arr.astype(np.float32), -1.0, 1.0) * 32767.0
        self.samples_seen += len(data)
        buf = np.concatenate([self._pending, data]) if len(self._pending) else data
        end = self.samples_seen - len(buf)  # stream position of buf[0]
        whole = len(buf) - len(buf) % FRAME_SAMPLES
        self._pending = buf[whole:].copy()
        return [
            (end + start + FRAME_SAMPLES, self._score_frame(buf[start : start + FRAME_SAMPLES]))
            for start in range(0, whole, FRAME_SAMPLES)
        ]

    def feed(self, audio: Any) -> list[WakeDetection]:
        """Feed a block of audio (see :meth:`frame_scores`); the wakes it completed, usually none.

        ``threshold`` and ``refractory_s`` may be changed between calls (a sensitivity setting).
        """
        self._gate.threshold = self.threshold
        self._gate.refractory_frames = round(self.refractory_s / FRAME_S)
        found = []
        for sample, score in self.frame_scores(audio):
            if self._gate.step(self._gate_frame, score):
                found.append(WakeDetection(sample, score))
            self._gate_frame += 1
        return found

    @property
    def per_frame_ms(self) -> float:
        """Mean time to score one 80 ms frame, in milliseconds."""
        return 1000.0 * self.seconds / self.frames_scored if self.frames_scored else 0.0

    def close(self) -> None:
        """Drop the onnxruntime sessions."""
        self._classifier = self._mel = self._embedding = None


def score_audio(detector: WakeWordDetector, audio: Any, pad_s: float = 1.0) -> Any:
    """Every frame score of ``audio`` (16 kHz float32) from a fresh detector state, with ``pad_s``
    of silence after it so a wake at the very end still completes. Frame ``i`` ends at sample
    ``(i + 1) * 1280`` of ``audio``."""
    import numpy as np

    detector.reset()  # also drops any part-frame, so frame i ends at (i + 1) * 1280 of ``audio``
    padded = np.concatenate([np.asarray(audio, np.float32), np.zeros(int(pad_s * SAMPLE_RATE), np.float32)])
    return np.array([s for _, s in detector.frame_scores(padded)], dtype=np.float32)


def detect_file(
    path: str | Path, model: Path, threshold: float = 0.5, refractory_s: float = 2.0, threads: int = 1
) -> WakeFileResult:
    """Run the detector over a WAV file (any rate, mono or stereo; resampled to 16 kHz).

    Raises:
        AudioFormatError: the file is missing, unreadable or not a WAV.
        ModelNotFound / ModelLoadError: the wake-word models are missing or broken.
    """
    from jarvis.audio.wavio import read_wav

    audio = read_wav(path, SAMPLE_RATE)
    detector = WakeWordDetector(model, threshold, refractory_s, threads)
    t0 = time.perf_counter()
    scores = score_audio(detector, audio)
    seconds = time.perf_counter() - t0
    detector.close()
    return WakeFileResult(
        detections_from_scores(scores, threshold, refractory_s),
        scores,
        duration_s=len(audio) / SAMPLE_RATE,
        seconds=seconds,
        threshold=threshold,
    )


class WakeGate:
    """Hands-free with the wake word: may speech that starts now be a turn without its own wake word?

    Open for ``wake_window_s`` (default ``follow_up_s``) after a wake (the question may come after
    a pause: "hey jarvis ... what time is it") and for ``follow_up_s`` after a reply was spoken (a
    follow-up needs no wake word); closed otherwise, and by :meth:`close` once a turn was taken.
    Pure: the caller passes monotonic times (any one clock, e.g. seconds of audio heard).
    """

    def __init__(self, follow_up_s: float, wake_window_s: float | None = None) -> None:
        self.follow_up_s = follow_up_s
        self.wake_window_s = follow_up_s if wake_window_s is None else wake_window_s
        self._open_until = float("-inf")

    def woke(self, now: float) -> None:
        """The wake word was heard at ``now``."""
        self._open_until = max(self._open_until, now + self.wake_window_s)

    def reply_done(self, now: float) -> None:
        """Jarvis finished speaking at ``now``: listen for a follow-up."""
        self._open_until = max(self._open_until, now + self.follow_up_s)

    def is_open(self, now: float) -> bool:
        """True when speech starting at ``now`` is a turn without a wake word."""
        return now <= self._open_until

    def close(self) -> None:
        """A turn was taken (or push-to-talk used): the next one needs the wake word again."""
        self._open_until = float("-inf")


_WAKE_PREFIX = re.compile(
    r"^\W*(?:(?:hey|hi|hello|ok|okay|a|hay)\W+)?(?:jarvis|jarvi|jervis|travis|garvis)\b\W*", re.IGNORECASE
)


def strip_wake_phrase(text: str) -> str:
    """``"Hey Jarvis, what time is it?"`` -> ``"what time is it?"``; text without the phrase is unchanged."""
    return _WAKE_PREFIX.sub("", text, count=1).strip()


def chime(sample_rate: int = 24000, seconds: float = 0.16) -> Any:
    """A short, soft rising two-note chime (float32 mono) to play when Jarvis wakes."""
    import numpy as np

    n = int(sample_rate * seconds)
    t = np.arange(n, dtype=np.float32) / sample_rate
    half = n // 2
    freq = np.where(np.arange(n) < half, 880.0, 1318.5).astype(np.float32)  # A5 then E6
    phase = 2 * np.pi * np.cumsum(freq) / sample_rate
    envelope = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01) * np.exp(-3.0 * t / seconds)
    return (0.25 * np.sin(phase) * envelope).astype(np.float32)
