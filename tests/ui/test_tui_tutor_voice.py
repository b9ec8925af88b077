"""A tutor session by voice in the TUI: a Spanish learner speaks into the virtual PulseAudio microphone.

Real VAD, whisper-base (multilingual), qwen-0.5b, the Kokoro Spanish voice and the USE embedder
(the tutor's off-topic check). The spoken line is ``questions/es-tutor-cerveza.wav`` (Kokoro
``ef_dora``, made by tests/support/make_questions.py): "Buenas noches. Quiero el cerveza y una
tortilla, por favor." with a gender mistake the tutor must correct.
"""

from __future__ import annotations

from typing import Any

from devsupport.config import TUTOR_ES_PROFILE
from devsupport.paths import FIXTURES, MODELS
from devsupport.voicekit import voice_config, voice_models
from jarvis.audio.events import HeardText, ListeningChanged, VoiceReady
from jarvis.config import load_settings
from jarvis.messages import ReplyDone, Transcript
from jarvis.profiles import apply_profile
from jarvis.tts.voices import voice_name
from jarvis.tutor.feedback import TutorFeedback
from jarvis.tutor.sessions import read_sessions
from jarvis.ui.chat_log import ChatLog, Note, UserTurn
from tests.support.tui import event_hook, jarvis_app, wait_for

LEARNER = FIXTURES / "speech" / "questions" / "es-tutor-cerveza.wav"
PROFILE = TUTOR_ES_PROFILE + """voice = "ef_dora"
speed = 0.9
model = "qwen-0.5b"
"""


async def test_a_tutor_session_by_voice_is_corrected_in_the_chat_and_saved(tmp_path, server):
    """Jarvis starts plain (English recogniser, normal speed) and the learner switches with
    ``/profile`` while the microphone is open. Starting in the profile (``--profile``) builds the same
    settings (asserted below) with one step less; tests/tutor/test_tutor_session.py starts that way."""
    path = voice_config(
        tmp_path, audio='input_device = "pulse"\noutput_device = "pulse"', stt_model="whisper-base", extra=PROFILE,
        memory=f'enabled = false\nembedder = "{MODELS / "use-multilingual-v3"}"',
    )
    base = load_settings(path)
    settings = apply_profile(base, "tutor-es")
    assert settings.stt.language == "es" and voice_name(settings.tts, "es") == "kokoro ef_dora"
    assert base.stt.language == "en" and base.tts.speed == 1.0
    stt, _ = voice_models("whisper-base")  # the voices load from the profile's settings, as at start-up
    events: list[Any] = []

    def seen(kind: type) -> list[Any]:
        return [e for e in events if isinstance(e, kind)]

    with jarvis_app(base, voice=True, voice_options={"stt": stt}) as app:
        async with app.run_test(size=(120, 36), message_hook=event_hook(events)) as pilot:
            await wait_for(pilot, lambda: bool(seen(ListeningChanged)))
            await wait_for(pilot, lambda: bool(seen(VoiceReady)), timeout=180)
            await pilot.click("#prompt")
            await pilot.press(*"/profile tutor-es")
            await pilot.press("enter")
            await wait_for(pilot, lambda: any("Profile: tutor-es" in str(n.render()) for n in app.chat.query(Note)))
            voices = app.voice.models.voices()
            assert voices.settings.speed == 0.9 and app.jarvis.settings.stt.language == "es"
            assert app.voice.tts_stage.settings.speed == 0.9
            await pilot.press(settings.ui.ptt_key)  # push-to-talk: open the microphone
            await wait_for(pilot, lambda: "listening" in app.voice_panel.mode_text)
            server.play(LEARNER)
            await wait_for(pilot, lambda: any(e.source == "voice" for e in seen(Transcript)), timeout=180)
            said = next(e for e in seen(Transcript) if e.source == "voice")
            assert "el cerveza" in said.text.lower(), said.text  # whisper kept the learner's mistake
            assert said.language == "es"
            await wait_for(pilot, lambda: bool(seen(TutorFeedback)), timeout=240)
            feedback = seen(TutorFeedback)[0]
            assert [(c.kind, c.wrong, c.right) for c in feedback.corrections] == [
                ("grammar", "el cerveza", "la cerveza")
            ]
            # on-topic vs off-topic is tested on typed turns (tests/tutor); a spoken line can score low
            # against the scenario (0.10 in one CI run), so it is not asserted here
            done = seen(ReplyDone)[0]
            assert done.text.strip() and done.language == "es" and done.model == "qwen-0.5b"
            # the reply is spoken (with the Spanish Kokoro voice) at the virtual speaker
            await wait_for(pilot, lambda: any(e.turn_id == done.turn_id for e in seen(HeardText)), timeout=240)
            assert "kokoro" in app.voice.models.voices().loaded
            await pilot.pause(0.3)
            chat = app.query_one(ChatLog)
            users = [str(u.render()) for u in chat.query(UserTurn)]
            assert any("🎤" in u and "cerveza" in u for u in users)
            notes = [str(n.render()) for n in chat.query(Note)]
            assert any("✎" in n and "el cerveza → la cerveza" in n for n in notes), notes
    sessions = read_sessions(settings.general.data_dir, "tutor-es")
    assert len(sessions) == 1
    summary = sessions[0]
    assert summary["turns"] == 1 and summary["corrections"] == {"grammar": 1}
    assert summary["words"] == len(said.text.split()) and summary["language"] == "es"
    assert summary["examples"] == [{"kind": "grammar", "wrong": "el cerveza", "right": "la cerveza"}]
