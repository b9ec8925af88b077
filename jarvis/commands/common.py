"""Helpers shared by the sub-command modules."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from jarvis.config import Settings, load_settings


def settings_from(args: argparse.Namespace) -> Settings:
    """Load the settings named by ``--config`` (or the default file), with ``--profile`` applied."""
    from jarvis.profiles import apply_profile

    return apply_profile(load_settings(getattr(args, "config", None)), getattr(args, "profile", None))


def add_json_flag(p: argparse.ArgumentParser) -> None:
    """Add ``--json`` (one JSON document on stdout)."""
    p.add_argument("--json", action="store_true", help="print one JSON document")


def print_json(data: Any) -> None:
    """Print one JSON document on stdout."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


def positive_int(value: str) -> int:
    """argparse type: a whole number of at least 1 (``--max-tokens``)."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, found {value!r}")
    return number


def add_model_flag(p: argparse.ArgumentParser) -> None:
    """Add ``--model NAME`` after the sub-command (``jarvis --model NAME COMMAND`` works as well)."""
    p.add_argument("--model", default=argparse.SUPPRESS, help="force this model (skip routing)")
