"""The calculator tool: exact arithmetic, percentages, unit conversions and equations with sympy.

Expressions are read by a small recursive-descent parser into sympy objects; nothing is ever given
to Python's ``eval`` (sympy's own ``sympify``/``parse_expr`` use it, so they are not used here).
English and Spanish words for the operations are understood ("17 percent of 240", "3 por 4").
"""

from __future__ import annotations

import re
from typing import Any

from jarvis.tools.base import Tool, ToolError, ToolResult
from jarvis.tools.clock import plain
from jarvis.tools.spoken_numbers import say_number
from jarvis.tools.units import convert, find_conversion

MAX_CHARS = 300
MAX_EXPONENT = 10_000
MAX_FACTORIAL = 1_000

WORDS = [  # (pattern, replacement), applied to accent-free lower case text in order
    (r"\b(what is|what's|whats|how much is|calculate|compute|cuanto es|cuanto son|calcula|cual es)\b", " "),
    (r"\s+(for me|please|por favor)$", ""),
    (r"^(?:divide|divideme|divida) (.+?) (?:by|entre|por) (.+)$", r"(\1) / (\2)"),
    (r"^(?:multiply|multiplica) (.+?) (?:by|por) (.+)$", r"(\1) * (\2)"),
    (r"\b(square root of|raiz cuadrada de)\b", " sqrt "),
    (r"\b(to the power of|raised to|elevado a)\b", " ^ "),
    (r"\b(squared|al cuadrado)\b", " ^ 2 "),
    (r"\b(cubed|al cubo)\b", " ^ 3 "),
    (r"\b(percent|per cent|por ciento)\b", " % "),
    (r"%\s*(of|de)\b", " % * "),
    (r"\b(multiplied by|times|multiplicado por|por)\b", " * "),
    (r"\b(divided by|dividido por|dividido entre|entre|over)\b", " / "),
    (r"\b(plus|mas|and)\b", " + "),
    (r"\b(minus|menos)\b", " - "),
    (r"\b(equals|es igual a|igual a)\b", " = "),
    (r"\b(solve|resuelve|resolver|find)\b", " "),
    (r"(?<=\d)\s*x\s*(?=\d)", " * "),  # 3 x 4
    (r"[×·]", "*"),
    (r"÷", "/"),
    (r"\*\*", "^"),
]
FUNCTIONS = {"sqrt", "sin", "cos", "tan", "log", "ln", "exp", "abs", "factorial"}
CONSTANTS = {"pi", "e"}
VARIABLES = {"x", "y", "z", "n"}
TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|([a-z]+)|(\S))")
ASKING = re.compile(r"^\s*(what is|what's|how much is|calculate|compute|cu[aá]nto es|cu[aá]nto son|calcula)\s+", re.I)


def normalise(text: str) -> str:
    """Words to symbols, decimal commas to points, thousands separators dropped."""
    t = plain(text).strip().rstrip("?. ")
    t = re.sub(r"(?<![\d)])!+$", "", t).strip()
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)  # 1,000 -> 1000
    t = re.sub(r"(?<=\d),(?=\d)", ".", t)  # 3,5 -> 3.5
    for pattern, repl in WORDS:
        t = re.sub(pattern, repl, t)
    return re.sub(r"\s+", " ", t).strip()


class _Parser:
    """expr := term (+|- term)*; term := unary (*|/|implicit unary)*; unary := -unary | power;
    power := postfix (^ unary)?; postfix := primary (!|%)*; primary := number | name | ( expr )."""

    def __init__(self, text: str) -> None:
        import sympy

        self.sp = sympy
        self.tokens: list[str] = []
        pos = 0
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if m is None:
                break
            pos = m.end()
            tok = m.group(1) or m.group(2) or m.group(3)
            if tok:
                self.tokens.append(tok)
        self.i = 0
        self.symbols: set[Any] = set()

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise ToolError("the expression ends too early", "check the brackets and operators")
        self.i += 1
        return tok

    def parse(self) -> Any:
        if not self.tokens:
            raise ToolError("there is nothing to calculate", 'say e.g. "17% of 240" or "2^10"')
        value = self.expr()
        if self.peek() is not None:
            raise ToolError(f"cannot read '{self.peek()}' here", "use numbers, + - * / ^ %, sqrt(), brackets")
        return value

    def expr(self) -> Any:
        value = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            rhs = self.term()
            value = value + rhs if op == "+" else value - rhs
        return value

    def term(self) -> Any:
        value = self.unary()
        while True:
            tok = self.peek()
            if tok in ("*", "/"):
                self.take()
                rhs = self.unary()
                if tok == "/" and rhs == 0:
                    raise ToolError("division by zero", "the divisor must not be 0")
                value = value * rhs if tok == "*" else value / rhs
            elif tok is not None and (tok == "(" or tok[0].isalpha() or tok[0].isdigit()):
                value = value * self.unary()  # implicit: 2x, 3(4+1)
            else:
                return value

    def unary(self) -> Any:
        if self.peek() in ("-", "+"):
            sign = self.take()
            value = self.unary()
            return -value if sign == "-" else value
        return self.power()

    def power(self) -> Any:
        base = self.postfix()
        if self.peek() == "^":
            self.take()
            exp = self.unary()
            if exp.is_number and abs(exp) > MAX_EXPONENT:
                raise ToolError("that exponent is too large", f"keep exponents under {MAX_EXPONENT}")
            return base**exp
        return base

    def postfix(self) -> Any:
        value = self.primary()
        while self.peek() in ("!", "%"):
            if self.take() == "!":
                value = self._factorial(value)
            else:
                value = value / 100
        return value

    def _factorial(self, value: Any) -> Any:
        if not (value.is_integer and value.is_nonnegative) or value > MAX_FACTORIAL:
            raise ToolError("factorial needs a whole number from 0 to 1000", "e.g. 10!")
        return self.sp.factorial(value)

    def primary(self) -> Any:
        sp = self.sp
        tok = self.take()
        if tok[0].isdigit():
            return sp.Rational(tok)
        if tok == "(":
            value = self.expr()
            if self.take() != ")":
                raise ToolError("a bracket is not closed", "add the missing ')'")
            return value
        if tok in CONSTANTS:
            return sp.pi if tok == "pi" else sp.E
        if tok in VARIABLES:
            sym = sp.Symbol(tok)
            self.symbols.add(sym)
            return sym
        if tok in FUNCTIONS:
            arg = self.postfix() if self.peek() != "(" else self.primary()
            if tok == "factorial":
                return self._factorial(arg)
            fn = {"sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "log": lambda a: sp.log(a, 10),
                  "ln": sp.log, "exp": sp.exp, "abs": sp.Abs}[tok]
            return fn(arg)
        raise ToolError(f"cannot read '{tok}'", "use numbers, + - * / ^ %, sqrt(), brackets")


def calculate(expression: str) -> ToolResult:
    """Evaluate ``expression`` (arithmetic, percentage, unit conversion or an equation to solve)."""
    import sympy

    if len(expression) > MAX_CHARS:
        raise ToolError("that expression is too long", f"keep it under {MAX_CHARS} characters")
    conversion = find_conversion(expression)
    if conversion is not None:
        return convert(*conversion)
    text = normalise(expression)
    if text.count("=") == 1:
        lhs, rhs = text.split("=")
        left, right = _Parser(lhs), _Parser(rhs)
        eq = sympy.Eq(left.parse(), right.parse())
        symbols = sorted(left.symbols | right.symbols, key=str)
        if not symbols:
            truth = bool(sympy.simplify(eq.lhs - eq.rhs) == 0)
            return ToolResult(f"{expression.strip()} is {'true' if truth else 'false'}.", {"value": str(truth)})
        sym = symbols[0]
        solutions = sympy.solve(eq, sym)
        if not solutions:
            return ToolResult(f"{expression.strip()} has no solution.", {"value": "", "solutions": []})
        said = [say_number(s) if s.is_number else str(s) for s in solutions]
        return ToolResult(f"{sym} = {' or '.join(said)}", {"value": said[0], "solutions": said})
    parser = _Parser(text)
    value = sympy.simplify(parser.parse())
    if parser.symbols:
        return ToolResult(f"{expression.strip()} = {value}", {"value": str(value)})
    if not value.is_number:
        raise ToolError(f"cannot calculate '{expression}'", "use numbers and + - * / ^ %")
    said = say_number(value)
    exact = str(value)
    data = {"value": said, "exact": exact}
    asked = ASKING.sub("", expression.strip().rstrip("?").strip())
    approximate = value.is_Rational and said != exact and "/" in exact and len(said) > 8 or not value.is_Rational
    text = f"{asked} = {said}" + (f" (exactly {exact})" if approximate and exact != said else "")
    return ToolResult(text, data)


class CalculatorTool(Tool):
    """Exact arithmetic, percentages, unit conversions and equations (sympy, never eval)."""

    name = "calculator"
    # a number next to an operator or a math/unit word, or an explicit request to calculate: a year
    # or an order number alone ("the 1969 moon landing") does not offer the calculator
    keywords = (
        r"\d\s*[-+*/^%x×÷=]\s*\d|\d\s*%|\b(calculate|calcula|solve|resuelve|equation|ecuacion|convert|convierte)\b|"
        r"\b(divide|multiply|multiplica|power|potencia|average|media|promedio)\b.*\d|"
        r"\d.*\b(percent|por ciento|plus|minus|times|divided|divide|multiply|multiplied|over|squared|cubed|"
        r"root|mas|menos|por|entre|raiz|miles?|km|kilometers?|kilometros?|meters?|metros?|feet|foot|pies|"
        r"inch(es)?|kilos?|kilograms?|pounds?|libras?|grams?|gramos?|celsius|fahrenheit|liters?|litros?|"
        r"gallons?|cups?|mph|tip|propina|half|mitad|third|tercio|total|eggs|each|cada)\b|"
        r"\b(percent|por ciento|square root|raiz cuadrada|how many|how much|cuantos|cuantas|cuanto)\b.*\d"
    )
    description = (
        "Calculate exactly: arithmetic, percentages ('17% of 240'), powers and roots, unit conversions "
        "('5 km to miles', '100 F to C') and equations ('2x + 3 = 7'). Always use it for any math."
    )
    parameters = {
        "type": "object",
        "properties": {"expression": {"type": "string", "description": "the math, e.g. 17% of 240"}},
        "required": ["expression"],
    }

    def run(self, args: dict[str, Any]) -> ToolResult:
        """Calculate ``args['expression']``."""
        try:
            return calculate(str(args["expression"]))
        except ToolError:
            raise
        except (ValueError, TypeError, ZeroDivisionError, RecursionError, OverflowError) as exc:
            raise ToolError(f"cannot calculate '{args['expression']}': {exc}", "simplify the expression") from None
