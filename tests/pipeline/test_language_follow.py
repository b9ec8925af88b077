"""Language follows the user: a Spanish and an English voice turn in one conversation (real whisper, real Qwen)."""

from __future__ import annotations

from devsupport.config import write_config
from devsupport.paths import FIXTURES, MODELS
from jarvis.config import load_settings
from jarvis.language import guess_language
from jarvis.messages import ReplyDone, Transcript
from jarvis.pipeline.runner import Assistant
from jarvis.tts.voices import VoiceSet

Q = FIXTURES / "speech" / "questions"


def test_spanish_then_english_voice_turns_answer_and_speak_in_their_language(tmp_path):
    from jarvis.audio.wavio import read_wav
    from jarvis.stt import load_stt

    settings = load_settings(write_config(tmp_path, stt=f'model = "{MODELS / "whisper-base"}"\nlanguage = ""'))
    stt = load_stt(settings)
    heard = [stt.transcribe(read_wav(Q / name)) for name in ("es-capital.wav", "en-capital.wav")]
    assert [h.language for h in heard] == ["es", "en"]
    assistant = Assistant(settings)
    events: list = []
    assistant.bus.subscribe(events.append)
    followed = []  # the language the next utterance's detection leans to (SttStage hands it to the recogniser)
    try:
        for i, h in enumerate(heard, 1):
            assistant.run_turn(Transcript(h.text, h.language, "voice", i, assistant.cancel.generation))
            followed.append(assistant.last_language)
    finally:
        assistant.shutdown()
    done = [e for e in events if isinstance(e, ReplyDone)]
    assert [d.language for d in done] == ["es", "en"] == followed
    assert [guess_language(d.text, "?") for d in done] == ["es", "en"], [d.text for d in done]
    voices = VoiceSet(settings.tts)
    assert [voices.choose(d.language)[0] for d in done] == ["kokoro", "piper"]


def test_typed_spanish_question_gets_spanish_language_for_the_voice(tmp_path):
    assistant = Assistant(load_settings(write_config(tmp_path)))
    events: list = []
    assistant.bus.subscribe(events.append)
    try:
        assistant.run_turn(Transcript("¿Cuál es la capital de Francia?", None, "keyboard", 1, 0))
    finally:
        assistant.shutdown()
    assert next(e for e in events if isinstance(e, Transcript)).language == "es"
    assert next(e for e in events if isinstance(e, ReplyDone)).language == "es"


def test_stt_language_forces_the_reply_language(tmp_path):
    settings = load_settings(write_config(tmp_path, stt='language = "en"'))
    assistant = Assistant(settings)
    events: list = []
    assistant.bus.subscribe(events.append)
    try:
        assistant.run_turn(Transcript("¿Cuál es la capital de Francia?", "es", "voice", 1, 0))
    finally:
        assistant.shutdown()
    assert next(e for e in events if isinstance(e, ReplyDone)).language == "en"
