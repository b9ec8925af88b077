"""VoiceSet.retune: a profile switch changes the voice style and speed of the loaded voices (real Piper and Kokoro)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jarvis.errors import ConfigError, ModelNotFound
from jarvis.tts import VoiceSet
from tests.tts.test_tts import EN_TEXT, ES_TEXT, tts_settings


def test_retune_changes_style_and_speed_without_reloading_and_refuses_unknown_styles(tmp_path: Path) -> None:
    vs = VoiceSet(tts_settings())
    try:
        normal_es, normal_en = vs.speak(ES_TEXT, "es"), vs.speak(EN_TEXT, "en")
        kokoro, piper = vs.engine("kokoro"), vs.engine("piper")
        faster = tts_settings(speed=1.6, kokoro_voice_for={"es": "em_alex", "en": "af_heart"})
        vs.retune(faster)
        quick_es, quick_en = vs.speak(ES_TEXT, "es"), vs.speak(EN_TEXT, "en")
        assert vs.engine("kokoro") is kokoro and vs.engine("piper") is piper  # nothing loaded again
        assert kokoro.voice_for["es"] == "em_alex" and kokoro.speed == 1.6  # type: ignore[attr-defined]
        assert quick_es.duration_s < 0.8 * normal_es.duration_s
        assert quick_en.duration_s < 0.8 * normal_en.duration_s

        with pytest.raises(ConfigError, match="xx_nobody"):
            vs.retune(tts_settings(kokoro_voice_for={"es": "xx_nobody"}))
        assert vs.settings is faster and kokoro.voice_for["es"] == "em_alex"  # type: ignore[attr-defined]

        # other voice files: the engine is closed and loads again (from the new file) on first use
        vs.retune(tts_settings(piper_model=tmp_path / "gone.onnx"))
        assert "piper" not in vs.loaded and vs.engine("kokoro") is kokoro
        with pytest.raises(ModelNotFound):
            vs.speak(EN_TEXT, "en")
    finally:
        vs.close()
