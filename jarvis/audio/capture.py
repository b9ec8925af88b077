"""Open the microphone (or a WAV file standing in for it) and the speaker (or a WAV file) from settings."""

from __future__ import annotations

from pathlib import Path

from jarvis.audio.devices import (
    OUTPUT_RATE,
    AudioInput,
    AudioOutput,
    SoundDeviceInput,
    SoundDeviceOutput,
    WavFileInput,
    WavFileOutput,
)
from jarvis.config import AudioSettings


def open_input(
    audio: AudioSettings, path: str | Path | None = None, realtime: bool = True, pad_s: float = 0.0
) -> AudioInput:
    """A WAV file replayed as the microphone when ``path`` is given, else the configured microphone.

    Raises:
        AudioDeviceError: no such microphone (the message lists the available ones).
        AudioFormatError: the WAV file cannot be used.
    """
    if path is not None:
        return WavFileInput(path, audio.sample_rate, audio.block_ms, realtime=realtime, pad_s=pad_s)
    return SoundDeviceInput(audio.input_device, audio.sample_rate, audio.block_ms, audio.queue_blocks)


def open_output(audio: AudioSettings, path: str | Path | None = None, realtime: bool = True) -> AudioOutput:
    """A WAV file that records the speech when ``path`` is given, else the configured speaker.

    Raises:
        AudioDeviceError: no such speaker (the message lists the available ones).
    """
    if path is not None:
        return WavFileOutput(path, OUTPUT_RATE, realtime=realtime)
    return SoundDeviceOutput(audio.output_device, OUTPUT_RATE, buffer_ms=audio.output_buffer_ms)
