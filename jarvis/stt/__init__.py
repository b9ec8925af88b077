"""Speech to text: :func:`load_stt` builds the recogniser the settings and the placement plan ask for."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jarvis.stt.base import SAMPLE_RATE, SpeechToText, SttResult

if TYPE_CHECKING:
    from jarvis.config import Settings
    from jarvis.hardware import PlacementPlan

__all__ = ["SAMPLE_RATE", "SpeechToText", "SttResult", "load_english_check", "load_stt", "stt_placement"]

log = logging.getLogger(__name__)


def stt_placement(settings: Settings, plan: PlacementPlan | None = None) -> tuple[str, str, int]:
    """(device, compute_type, cpu_threads) for the recogniser.

    ``stt.device`` / ``stt.compute_type`` win when they are not ``auto``; otherwise the plan's
    ``stt`` placement decides; without a plan: CPU, int8, every core.
    """
    import os

    placement = plan.get("stt") if plan is not None else None
    device = settings.stt.device
    if device == "auto":
        device = placement.device if placement is not None else "cpu"
    compute = settings.stt.compute_type
    if compute == "auto":
        if placement is not None and placement.compute_type and placement.device == device:
            compute = placement.compute_type
        else:
            compute = "float16" if device.startswith("cuda") else "int8"
    threads = placement.n_threads if placement is not None else len(os.sched_getaffinity(0))
    return device, compute, threads


def load_stt(
    settings: Settings, plan: PlacementPlan | None = None, on_fallback: Callable[[str], None] | None = None,
) -> SpeechToText:
    """Load the faster-whisper model named by ``settings.stt``.

    A GPU that cannot be used (library missing, out of memory) means the CPU instead:
    ``on_fallback`` gets the one line saying why (the model's ``fallback_note`` keeps it).

    Raises:
        ModelNotFound: the model folder is missing (hint: ``./install.sh``).
        ModelLoadError: the model could not be loaded on the chosen device.
    """
    from jarvis.stt.faster_whisper_backend import FasterWhisperSTT

    device, compute, threads = stt_placement(settings, plan)
    english_check = load_english_check(settings, threads)
    return FasterWhisperSTT(
        settings.stt.model,
        device=device,
        compute_type=compute,
        cpu_threads=threads,
        beam_size=settings.stt.beam_size,
        language=settings.stt.language or None,
        short_context=settings.stt.short_context,
        languages=tuple(settings.stt.languages),
        on_fallback=on_fallback,
        english_check=english_check,
        english_check_below=settings.stt.english_check_below,
        english_check_sure=settings.stt.english_check_sure,
    )


def load_english_check(settings: Settings, threads: int = 0) -> Any:
    """The second English recogniser ``stt.english_check`` asks for (Moonshine base), or None.

    None when it is turned off, when the recogniser detects no language (``stt.language`` is set to
    another one), or when its files are missing (said once in the log: whisper then works alone).
    """
    from jarvis.stt.moonshine import is_model_dir, shared

    stt = settings.stt
    if not stt.english_check or (stt.language and stt.language != "en"):
        return None
    if not is_model_dir(stt.english_check_model):
        log.warning("stt.english_check: no Moonshine model in %s (run ./install.sh); whisper works alone",
                    stt.english_check_model)
        return None
    return shared(stt.english_check_model, threads=threads)
