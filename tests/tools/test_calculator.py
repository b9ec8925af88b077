"""The calculator: exact arithmetic, percentages, units and equations; bad input is a ToolError."""

import pytest

from jarvis.tools.base import ToolError
from jarvis.tools.calculator import CalculatorTool, calculate


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("What is 17% of 240?", "40.8"),
        ("17 por ciento de 240", "40.8"),
        ("15 percent of 80", "12"),
        ("2^10", "1024"),
        ("2**10", "1024"),
        ("7 divided by 2", "3.5"),
        ("cuánto es 3,5 por 2", "7"),
        ("3 x 4", "12"),
        ("(1+2)*3", "9"),
        ("square root of 144", "12"),
        ("raíz cuadrada de 81", "9"),
        ("10!", "3628800"),
        ("0.1 + 0.2", "0.3"),  # exact: no binary floating point error
        ("1,000 + 1", "1001"),
        ("1/3", "0.3333333333"),
        ("12 squared", "144"),
    ],
)
def test_arithmetic_is_exact(expression, value):
    assert calculate(expression).data["value"] == value


@pytest.mark.parametrize(
    ("expression", "value", "unit"),
    [
        ("5 km to miles", "3.106855961", "miles"),
        ("convert 100 F to C", "37.77777778", "C"),
        ("0 degrees celsius in fahrenheit", "32", "F"),
        ("2 libras a kilos", "0.90718474", "kilos"),
        ("90 minutes in hours", "1.5", "hours"),
    ],
)
def test_unit_conversions(expression, value, unit):
    data = calculate(expression).data
    assert (data["value"], data["unit"]) == (value, unit)


def test_equations_are_solved():
    assert calculate("2x + 3 = 7").data["solutions"] == ["2"]
    assert calculate("solve x^2 = 4").data["solutions"] == ["-2", "2"]


@pytest.mark.parametrize(
    "bad",
    [
        "hello there",
        "1/0",
        "((2",
        "2^100000",
        "__import__('os').system('echo pwned')",
        "().__class__.__bases__",
        "5 km to kilograms",
        "x" * 400,
        "",
    ],
)
def test_bad_input_is_a_tool_error_never_eval(bad, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ToolError):
        CalculatorTool().run({"expression": bad})
    assert list(tmp_path.iterdir()) == []  # nothing ran


def test_percentage_result_reads_naturally():
    assert calculate("What is 17% of 240?").text == "17% of 240 = 40.8"


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("How many pounds is 5 kilograms?", "11.02311311"),
        ("How many feet are in 3 meters?", "9.842519685"),
        ("¿Cuántos kilómetros son 26 millas?", "41.842944"),
    ],
)
def test_how_many_questions_are_conversions_answered_at_once(question, value):
    from jarvis.tools.intents import match

    intent = match(question)
    assert intent is not None and intent.kind == "math"
    assert calculate(intent.call.arguments["expression"]).data["value"] == value
