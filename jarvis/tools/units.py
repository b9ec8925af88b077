"""Unit conversions for the calculator: exact factors for length, mass, volume, time, speed, data,
and the affine temperature scales. Unit names in English and Spanish."""

from __future__ import annotations

import re
from typing import Any

from jarvis.tools.base import ToolError, ToolResult

# unit name -> (dimension, factor to the base unit as an exact decimal string)
UNITS: dict[str, tuple[str, str]] = {}


def _add(dimension: str, factor: str, *names: str) -> None:
    for n in names:
        UNITS[n] = (dimension, factor)


_add("length", "1", "m", "meter", "meters", "metre", "metres", "metro", "metros")
_add("length", "1000", "km", "kilometer", "kilometers", "kilometre", "kilometres", "kilometro", "kilometros")
_add("length", "0.01", "cm", "centimeter", "centimeters", "centimetro", "centimetros")
_add("length", "0.001", "mm", "millimeter", "millimeters", "milimetro", "milimetros")
_add("length", "1609.344", "mi", "mile", "miles", "milla", "millas")
_add("length", "0.3048", "ft", "foot", "feet", "pie", "pies")
_add("length", "0.0254", "in", "inch", "inches", "pulgada", "pulgadas")
_add("length", "0.9144", "yd", "yard", "yards", "yarda", "yardas")
_add("mass", "1", "kg", "kilogram", "kilograms", "kilo", "kilos", "kilogramo", "kilogramos")
_add("mass", "0.001", "g", "gram", "grams", "gramo", "gramos")
_add("mass", "0.000001", "mg", "milligram", "milligrams", "miligramo", "miligramos")
_add("mass", "0.45359237", "lb", "lbs", "pound", "pounds", "libra", "libras")
_add("mass", "0.028349523125", "oz", "ounce", "ounces", "onza", "onzas")
_add("volume", "1", "l", "liter", "liters", "litre", "litres", "litro", "litros")
_add("volume", "0.001", "ml", "milliliter", "milliliters", "mililitro", "mililitros")
_add("volume", "3.785411784", "gal", "gallon", "gallons", "galon", "galones")
_add("volume", "0.2365882365", "cup", "cups", "taza", "tazas")
_add("time", "1", "s", "sec", "secs", "second", "seconds", "segundo", "segundos")
_add("time", "60", "min", "mins", "minute", "minutes", "minuto", "minutos")
_add("time", "3600", "h", "hr", "hrs", "hour", "hours", "hora", "horas")
_add("time", "86400", "day", "days", "dia", "dias")
_add("time", "604800", "week", "weeks", "semana", "semanas")
_add("speed", "1", "m/s")
_add("speed", "0.44704", "mph")
_add("speed", "0.2777777777777777777777777778", "km/h", "kph", "kmh")
_add("data", "1", "b", "byte", "bytes")
_add("data", "1000", "kb", "kilobyte", "kilobytes")
_add("data", "1000000", "mb", "megabyte", "megabytes")
_add("data", "1000000000", "gb", "gigabyte", "gigabytes")
_add("data", "1073741824", "gib")
_add("data", "1048576", "mib")

TEMPERATURE = {
    "c": "C", "celsius": "C", "centigrados": "C", "grados celsius": "C", "degrees celsius": "C",
    "f": "F", "fahrenheit": "F", "degrees fahrenheit": "F", "grados fahrenheit": "F",
    "k": "K", "kelvin": "K", "kelvins": "K",
}

PATTERN = re.compile(
    r"(-?\d+(?:[.,]\d+)?)\s*(?:degrees |grados |°\s*)?([a-z/°]+(?: [a-z]+)?)\s+(?:to|in|into|en|a)\s+"
    r"(?:degrees |grados |°\s*)?([a-z/°]+(?: [a-z]+)?)\s*$"
)


HOW_MANY = re.compile(
    r"^(?:how many|how much|cuantos|cuantas|cuanto)\s+(?:degrees |grados )?(?P<dst>[a-z/]+(?: [a-z]+)?)\s+"
    # the verb, any one to three words: "are in", "are there in", "hay en", "equivale a", and what speech
    # recognition makes of them ("earn" for "are in")
    r"[a-z']+(?: [a-z']+){0,2}\s+"
    r"(?P<n>-?\d+(?:[.,]\d+)?)\s*(?:degrees |grados )?(?P<src>[a-z/]+(?: [a-z]+)?)(?: have)?$"
)
ASKING = re.compile(r"^(?:convert|how many|how much is|what is|what's|whats|cuantos|cuantas|cuanto es|cuanto son|"
                    r"convierte|pasa)\s+")


def _unit(name: str) -> str | None:
    n = name.strip().replace("°", "")
    if n in UNITS or n in TEMPERATURE:
        return n
    return None


def find_conversion(text: str, whole: bool = False) -> tuple[str, str, str] | None:
    """(number, from-unit, to-unit) when ``text`` asks for a conversion, else None.

    ``whole``: all of ``text`` must be the request ("5 km to miles", "how many feet in 3 meters"),
    not a sentence that ends in one ("write a poem about 5 km to miles")."""
    from jarvis.tools.clock import plain

    t = plain(text).strip().strip("¿¡?.! ")
    asked = HOW_MANY.match(t)  # "how many feet are in 3 meters", "cuantos kilometros son 26 millas"
    if asked is not None:
        number, src, dst = asked.group("n"), asked.group("src"), asked.group("dst")
    else:
        t = ASKING.sub("", t)
        m = PATTERN.search(t)
        if m is None or (whole and m.start() > 0):
            return None
        number, src, dst = m.group(1), m.group(2), m.group(3)
    for a in (src, src.split()[0]):
        for b in (dst, dst.split()[0]):
            if _unit(a) and _unit(b):
                return number.replace(",", "."), _unit(a) or a, _unit(b) or b
    return None


def convert(number: str, src: str, dst: str) -> ToolResult:
    """Convert ``number`` ``src`` units to ``dst`` exactly."""
    import sympy

    from jarvis.tools.spoken_numbers import say_number

    value = sympy.Rational(number)
    if src in TEMPERATURE or dst in TEMPERATURE:
        if not (src in TEMPERATURE and dst in TEMPERATURE):
            raise ToolError(f"cannot convert {src} to {dst}", "temperatures convert only to temperatures")
        a, b = TEMPERATURE[src], TEMPERATURE[dst]
        kelvin = {"C": value + sympy.Rational("273.15"), "F": (value - 32) * 5 / 9 + sympy.Rational("273.15"),
                  "K": value}[a]
        out: Any = {"C": kelvin - sympy.Rational("273.15"),
                    "F": (kelvin - sympy.Rational("273.15")) * 9 / 5 + 32, "K": kelvin}[b]
        said = say_number(out)
        return ToolResult(f"{number} °{a} = {said} °{b}", {"value": said, "unit": b})
    (dim_a, fa), (dim_b, fb) = UNITS[src], UNITS[dst]
    if dim_a != dim_b:
        raise ToolError(f"cannot convert {src} ({dim_a}) to {dst} ({dim_b})", "pick units of the same kind")
    out = value * sympy.Rational(fa) / sympy.Rational(fb)
    said = say_number(out)
    return ToolResult(f"{number} {src} = {said} {dst}", {"value": said, "unit": dst})
