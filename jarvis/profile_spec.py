"""One ``[[profiles]]`` table of config.toml: an assistant persona or a language-tutor scenario.

Only the shape lives here (config.py validates it); :mod:`jarvis.profiles` applies a profile to
the settings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Level = Literal["A1", "A2", "B1", "B2", "C1", "C2"]


class ProfileSpec(BaseModel):
    """A named set of overrides: ``kind = "assistant"`` (prompt, voice, model, memory) or ``"tutor"``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,60}$")
    kind: Literal["assistant", "tutor"] = "assistant"
    language: str = Field("", pattern=r"^([a-z]{2,3})?$")
    level: Level = "A2"
    scenario: str = ""
    system_prompt: str = ""
    voice: str = ""
    speed: float | None = Field(None, gt=0.2, le=3.0)
    model: str = ""
    memory: bool | None = None
    say_corrections: bool = False
    off_topic_below: float = Field(0.12, ge=-1.0, le=1.0)

    @model_validator(mode="after")
    def _tutor_needs(self) -> ProfileSpec:
        if self.kind == "tutor" and not (self.language and self.scenario.strip()):
            raise ValueError("a tutor profile needs 'language' (e.g. \"es\") and 'scenario'")
        return self
