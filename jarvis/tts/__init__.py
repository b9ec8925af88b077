"""Text to speech: ONNX voices (Piper, Kokoro), a voice per language, and the sentence chunker.

Importing this package is cheap; the engines import onnxruntime only when a voice is first used.
"""

from __future__ import annotations

from jarvis.tts.base import TextToSpeech
from jarvis.tts.chunker import SentenceChunker, speakable
from jarvis.tts.voices import Spoken, VoiceSet

__all__ = ["SentenceChunker", "Spoken", "TextToSpeech", "VoiceSet", "speakable"]
