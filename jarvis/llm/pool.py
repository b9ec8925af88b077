"""The model pool: loads models on demand (one load at a time), keeps them, reports where they sit."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jarvis.config import ModelSpec, Settings
from jarvis.hardware import PlacementPlan
from jarvis.llm.base import ChatModel
from jarvis.llm.registry import backend_class
from jarvis.messages import ModelLoadProgress

log = logging.getLogger(__name__)


@dataclass
class Resident:
    """A loaded model, where it sits and when it was last used."""

    model: ChatModel
    device: str
    memory_mb: int
    last_used: float


class ModelPool:
    """Loads each model once and hands it out; ``publish`` gets :class:`ModelLoadProgress` events."""

    def __init__(
        self,
        settings: Settings,
        plan: PlacementPlan,
        publish: Callable[[Any], None] = lambda e: None,
    ) -> None:
        self.settings = settings
        self.plan = plan
        self.publish = publish
        self._resident: dict[str, Resident] = {}
        self._lock = threading.RLock()

    def _build(self, spec: ModelSpec) -> tuple[ChatModel, str]:
        cls = backend_class(spec.backend)
        if not spec.is_local:
            return cls(spec, self.settings), "remote"
        p = self.plan.get(spec.name)
        device = p.device if p else "cpu"
        return (
            cls(
                spec,
                n_ctx=p.n_ctx if p else None,
                n_threads=p.n_threads if p else None,
                gpu_layers=p.gpu_layers if p else 0,
                seed=self.settings.llm.seed,
            ),
            device,
        )

    def get(self, name: str) -> ChatModel:
        """The loaded model ``name``, loading it first when needed (raises JarvisError)."""
        spec = self.settings.model(name)
        with self._lock:
            res = self._resident.get(name)
            if res is not None:
                res.last_used = time.monotonic()
                return res.model
            device = self.plan.get(name).device if self.plan.get(name) else "remote"
            self.publish(ModelLoadProgress(name, device))
            t0 = time.monotonic()
            try:
                model, device = self._build(spec)
            except Exception as exc:
                self.publish(ModelLoadProgress(name, device, done=True, error=str(exc)))
                raise
            self._resident[name] = Resident(model, device, spec.memory_mb, time.monotonic())
            self.publish(ModelLoadProgress(name, device, done=True, seconds=time.monotonic() - t0))
            return model

    def resident(self) -> dict[str, str]:
        """Loaded model name -> device."""
        with self._lock:
            return {n: r.device for n, r in self._resident.items()}

    def unload(self, name: str) -> None:
        """Free one model (no error when it is not loaded)."""
        with self._lock:
            res = self._resident.pop(name, None)
        if res is not None:
            res.model.close()

    def close(self) -> None:
        """Free every model."""
        for name in list(self.resident()):
            self.unload(name)
