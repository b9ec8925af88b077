"""WAV files in and out: any sample rate, int16/int24/int32/float, mono or stereo -> float32 mono.

Anything else (not a WAV file, compressed codecs, more than two channels, empty, unreadable) raises
:class:`AudioFormatError` with a one-line message and a hint. numpy, soundfile and soxr are imported
inside the functions so importing this module stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jarvis.errors import AudioFormatError

ACCEPTED_SUBTYPES = ("PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE")
_HINT = "use a mono or stereo WAV with int16 or float32 samples (e.g. `sox in.mp3 -b 16 out.wav`)"


def to_mono(audio: Any) -> Any:
    """Average the channels of a (frames, channels) array into float32 mono; mono passes through."""
    import numpy as np

    arr = np.asarray(audio, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr.mean(axis=1) if arr.shape[1] > 1 else arr[:, 0]
    return np.ascontiguousarray(arr, dtype=np.float32)


def resample(audio: Any, src_rate: int, dst_rate: int) -> Any:
    """Resample float32 mono ``audio`` from ``src_rate`` to ``dst_rate`` (soxr, high quality)."""
    import numpy as np

    arr = np.asarray(audio, dtype=np.float32)
    if src_rate == dst_rate or arr.size == 0:
        return arr
    import soxr

    return np.ascontiguousarray(soxr.resample(arr, src_rate, dst_rate, quality="HQ"), dtype=np.float32)


def wav_info(path: str | Path) -> Any:
    """soundfile's info for ``path`` after checking it is a WAV we accept; raises AudioFormatError."""
    import soundfile as sf

    p = Path(path).expanduser()
    if p.is_dir():
        raise AudioFormatError(f"{p} is a folder, not an audio file", "give the path of a WAV file")
    if not p.is_file():
        raise AudioFormatError(f"audio file not found: {p}", "check the path")
    try:
        info = sf.info(str(p))
    except (RuntimeError, sf.LibsndfileError, OSError) as exc:
        raise AudioFormatError(f"cannot read {p.name} as a WAV file: {exc}", _HINT) from None
    if info.format not in ("WAV", "WAVEX", "RF64"):
        raise AudioFormatError(f"{p.name} is a {info.format} file, not a WAV file", _HINT)
    if info.subtype not in ACCEPTED_SUBTYPES:
        raise AudioFormatError(f"{p.name}: unsupported sample format {info.subtype}", _HINT)
    if info.channels not in (1, 2):
        msg = f"{p.name} has {info.channels} channels; only mono or stereo is accepted"
        raise AudioFormatError(msg, _HINT)
    if info.frames == 0:
        raise AudioFormatError(f"{p.name} holds no audio (0 samples)", "record or choose a file with speech")
    return info


def read_wav(path: str | Path, target_rate: int | None = 16000) -> Any:
    """Read a WAV file as float32 mono resampled to ``target_rate`` (``None``: keep the file's rate).

    Raises:
        AudioFormatError: missing, unreadable, empty, not a WAV, or an unsupported format.
    """
    audio, rate = read_wav_native(path)
    return resample(audio, rate, target_rate) if target_rate else audio


def read_wav_native(path: str | Path) -> tuple[Any, int]:
    """Read a WAV file as (float32 mono, its own sample rate); same checks as :func:`read_wav`."""
    import soundfile as sf

    info = wav_info(path)
    try:
        data, rate = sf.read(str(Path(path).expanduser()), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError, OSError) as exc:
        raise AudioFormatError(f"cannot read {Path(path).name}: {exc}", _HINT) from None
    return to_mono(data), int(rate or info.samplerate)


def write_wav(path: str | Path, audio: Any, sample_rate: int) -> Path:
    """Write float32 (or int16) mono/stereo ``audio`` as a 16-bit PCM WAV; returns the path.

    Raises:
        AudioFormatError: the folder cannot be created or the file cannot be written.
    """
    import numpy as np
    import soundfile as sf

    p = Path(path).expanduser()
    arr = np.asarray(audio)
    if arr.dtype == np.int16:
        arr = arr.astype(np.float32) / 32768.0
    arr = np.clip(np.nan_to_num(arr.astype(np.float32)), -1.0, 1.0)
    if sample_rate <= 0:
        raise AudioFormatError(f"bad sample rate {sample_rate} for {p.name}", "pass a positive rate in Hz")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(p), arr, int(sample_rate), subtype="PCM_16", format="WAV")
    except (RuntimeError, sf.LibsndfileError, OSError) as exc:
        hint = "check that the folder exists and is writable"
        raise AudioFormatError(f"cannot write {p}: {exc}", hint) from None
    return p


class WavWriter:
    """Write a 16-bit PCM WAV piece by piece, so a long text never sits in memory as one array.

    Pieces go to a hidden ``.NAME.part`` file beside ``path``; :meth:`commit` renames it into place,
    :meth:`discard` removes it (a failed run leaves no half-written file). The sample rate is the
    first piece's; later pieces at another rate are resampled.

    Raises (every method):
        AudioFormatError: the folder cannot be created or the file cannot be written.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.part = self.path.with_name(f".{self.path.name}.part")
        self.sample_rate = 0
        self.frames = 0
        self._file: Any = None

    def write(self, audio: Any, sample_rate: int) -> None:
        """Append float32 mono ``audio`` recorded at ``sample_rate``."""
        import numpy as np
        import soundfile as sf

        try:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.sample_rate = int(sample_rate)
                self._file = sf.SoundFile(str(self.part), "w", self.sample_rate, 1, "PCM_16", format="WAV")
            elif sample_rate != self.sample_rate:
                audio = resample(audio, sample_rate, self.sample_rate)
            arr = np.clip(np.nan_to_num(np.asarray(audio, dtype=np.float32)), -1.0, 1.0)
            self._file.write(arr)
            self.frames += len(arr)
        except (RuntimeError, sf.LibsndfileError, OSError) as exc:
            self.discard()
            raise AudioFormatError(f"cannot write {self.path}: {exc}", "check that the folder is writable") from None

    def commit(self) -> Path:
        """Finish the file and move it to ``path``; returns ``path``."""
        if self._file is None:
            raise AudioFormatError(f"nothing was written to {self.path}", "give some text to speak")
        try:
            self._file.close()
            self._file = None
            self.part.replace(self.path)
        except OSError as exc:
            self.discard()
            raise AudioFormatError(f"cannot write {self.path}: {exc.strerror or exc}", "check the folder") from None
        return self.path

    def discard(self) -> None:
        """Drop what was written. Safe to call twice."""
        if self._file is not None:
            try:
                self._file.close()
            except Exception:  # already failing: removing the part file is what matters
                pass
            self._file = None
        try:
            self.part.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - a folder that went read-only meanwhile
            pass
