"""The calculator tool: exact arithmetic, percentages, unit conversions and equations with sympy.

Expressions are read by a small recursive-descent parser into sympy objects; nothing is ever given
to Python's ``eval`` (sympy's own ``sympify``/``parse_expr`` use it, so they are not used here).
English and Spanish words for the operations are understood ("17 percent of 240", "3 por 4").

Hostile input is met twice. The parser bounds every number's size *before* computing it: a power's
digits are estimated from base and exponent, factorials, ``exp`` and literals are capped, and nesting
is limited, so "(1e9999)^9999" is refused at once instead of holding the interpreter for minutes.
What is still unbounded (sympy's simplifier and equation solver) runs in the executor's sandbox, a
child process killed at the timeout: :func:`calculate` sends its work there unless it already runs there.
"""

from __future__ import annotations

import math
import re
from typing import Any

from jarvis.tools.base import Tool, ToolError, ToolResult
from jarvis.tools.clock import plain
from jarvis.tools.spoken_numbers import say_number
from jarvis.tools.units import convert, find_conversion

MAX_CHARS = 300
MAX_EXPONENT = 10_000
MAX_FACTORIAL = 1_000
MAX_DIGITS = 10_000  # an exact number (its numerator or denominator) may have at most this many digits
EXACT_DIGITS = 4_000  # longer integers are said in scientific notation (Python prints at most 4300 digits)
MAX_EXP_ARG = MAX_DIGITS * math.log(10)  # exp(x) beyond this is out of range either way
MAX_DEPTH = 60  # brackets, signs, powers and functions inside each other (about 30 levels of brackets)
MAX_DEGREE = 64  # the highest power of x an equation may have
TIMEOUT_S = 10.0  # a direct calculate() call (the executor uses tools.timeout_s)
LOG10_2 = math.log10(2)
NUMBER = re.compile(r"(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?")

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
        self.depth = 0
        self.symbols: set[Any] = set()

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ToolError("the expression is nested too deeply",
                            f"use at most {MAX_DEPTH // 2} brackets inside each other")

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
            value = bounded(value + rhs if op == "+" else value - rhs)
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
                value = bounded(value * rhs if tok == "*" else value / rhs)
            elif tok is not None and (tok == "(" or tok[0].isalpha() or tok[0].isdigit()):
                value = bounded(value * self.unary())  # implicit: 2x, 3(4+1)
            else:
                return value

    def unary(self) -> Any:
        self.deeper()
        try:
            if self.peek() in ("-", "+"):
                sign = self.take()
                value = self.unary()
                return -value if sign == "-" else value
            return self.power()
        finally:
            self.depth -= 1

    def power(self) -> Any:
        base = self.postfix()
        if self.peek() == "^":
            self.take()
            exp = self.unary()
            if exp.is_number and abs(exp) > MAX_EXPONENT:
                raise ToolError("that exponent is too large", f"keep exponents under {MAX_EXPONENT}")
            if exp.is_number and base.is_number:
                digits = abs(approx_float(exp)) * log10_size(base)
                if digits > MAX_DIGITS:
                    raise too_many_digits(digits)
            return bounded(base**exp)
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
        self.deeper()
        try:
            return self._primary()
        finally:
            self.depth -= 1

    def _primary(self) -> Any:
        sp = self.sp
        tok = self.take()
        if tok[0].isdigit():
            return number(tok)
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
            if tok == "exp" and arg.is_number and abs(approx_float(arg)) > MAX_EXP_ARG:
                raise ToolError("that number is too large or too small to work with",
                                f"keep exp() between -{MAX_EXP_ARG:.0f} and {MAX_EXP_ARG:.0f}")
            fn = {"sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "log": lambda a: sp.log(a, 10),
                  "ln": sp.log, "exp": sp.exp, "abs": sp.Abs}[tok]
            return bounded(fn(arg))
        raise ToolError(f"cannot read '{short(tok)}'", "use numbers, + - * / ^ %, sqrt(), brackets")


# ------------------------------------------------------------------------------------------ sizes
def short(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters for a one-line message."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def int_digits(n: int) -> int:
    """About how many decimal digits ``n`` has (from its bit length: no conversion to text)."""
    return int(abs(int(n)).bit_length() * LOG10_2) + 1


def too_many_digits(digits: float) -> ToolError:
    shown = f"{digits:,.0f}" if digits < 1e15 else f"{digits:.1e}"
    return ToolError(f"that result would have about {shown} digits, more than the {MAX_DIGITS:,} I work with",
                     "use smaller numbers or exponents")


def approx_float(value: Any) -> float:
    """A numeric sympy value as a float (its real part; inf when out of range)."""
    import sympy

    if value.is_Rational:
        p, q = int(value.p), int(value.q)
        try:
            return p / q  # exact big-integer division, rounded once
        except OverflowError:
            return math.inf if p > 0 else -math.inf
    try:
        return float(sympy.re(sympy.N(value, 15)))
    except (TypeError, ValueError, OverflowError):
        return math.inf


def log10_size(value: Any) -> float:
    """How many digits a number has before or after the point (|log10|); for a fraction, the larger
    of its numerator's and denominator's digit counts. 0 for 0 and for what cannot be told."""
    import sympy

    if value.is_Rational:
        return float(max(_log10_int(int(value.p)), _log10_int(int(value.q))))
    try:
        a = sympy.N(sympy.Abs(value), 15)
        if a == 0 or not a.is_finite:
            return 0.0
        return abs(float(sympy.log(a, 10).evalf(15)))
    except (TypeError, ValueError, OverflowError):
        return 0.0


def _log10_int(n: int) -> float:
    n = abs(n)
    if n == 0:
        return 0.0
    bits = n.bit_length()
    if bits < 1000:
        return math.log10(n)
    return math.log10(n >> (bits - 60)) + (bits - 60) * LOG10_2


def bounded(value: Any) -> Any:
    """``value`` when every exact number in it has at most :data:`MAX_DIGITS` digits."""
    import sympy

    parts = [value] if value.is_Rational else value.atoms(sympy.Rational)
    for r in parts:
        digits = max(int_digits(int(r.p)), int_digits(int(r.q)))
        if digits > MAX_DIGITS:
            raise too_many_digits(digits)
    return value


def number(tok: str) -> Any:
    """A number literal ("12", "3.5", "1e9999") as an exact rational, its size checked first."""
    import sympy

    m = NUMBER.fullmatch(tok)
    if m is None:  # pragma: no cover - the tokenizer only yields these
        raise ToolError(f"cannot read the number '{short(tok)}'", "write it as 12, 3.5 or 1e6")
    whole, frac, exp = m.group(1), m.group(2) or "", m.group(3) or "0"
    if len(exp.lstrip("+-")) > 15:
        raise too_many_digits(10.0 ** len(exp.lstrip("+-")))
    shift = int(exp)
    digits = max(len(whole.lstrip("0")) + shift, len(frac) - shift)
    if digits > MAX_DIGITS:
        raise too_many_digits(digits)
    return sympy.Integer(int(whole + frac)) * sympy.Rational(10) ** (shift - len(frac))


def degree(expr: Any, sym: Any) -> float:
    """The degree of ``expr`` in ``sym`` without expanding it (products add, powers multiply)."""
    if not expr.has(sym):
        return 0
    if expr == sym:
        return 1
    if expr.is_Add:
        return max(degree(a, sym) for a in expr.args)
    if expr.is_Mul:
        return sum(degree(a, sym) for a in expr.args)
    if expr.is_Pow and expr.exp.is_number:
        return degree(expr.base, sym) * abs(approx_float(expr.exp))
    return max((degree(a, sym) for a in expr.args), default=1)


def tidy(value: Any) -> Any:
    """``sympy.simplify`` where it is cheap (never on big powers, which it can take minutes over)."""
    import sympy

    if value.is_Rational or value.is_Atom:
        return value
    big = any(p.exp.is_number and abs(approx_float(p.exp)) > 64 for p in value.atoms(sympy.Pow))
    if big or sympy.count_ops(value) > 40:
        return value
    return sympy.simplify(value)


def finite(value: Any, asked: str) -> Any:
    """``value``, or the answer that it has none (1/0-like results: sympy's zoo, oo and nan)."""
    import sympy

    if value.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise ToolError(f"{short(asked)} has no finite value (it is like dividing by zero)",
                        "check for a division by zero, log(0) or tan(pi/2)")
    return value


def say(value: Any) -> tuple[str, str]:
    """(how the number is said, its exact form): exact integers up to :data:`EXACT_DIGITS` digits,
    else about 10 significant digits, in scientific notation beyond a float's range."""
    import mpmath
    import sympy

    if value.is_Integer and int_digits(int(value)) <= EXACT_DIGITS:
        text = say_number(value)
        return text, text
    exact = ""
    if not value.is_Rational or max(int_digits(int(value.p)), int_digits(int(value.q))) <= EXACT_DIGITS:
        try:
            exact = str(value)
        except ValueError:  # an integer too long to print
            exact = ""
    if value.is_Rational and max(int_digits(int(value.p)), int_digits(int(value.q))) <= 30:
        return say_number(value), exact
    approx = sympy.N(value, 12)
    if approx.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise ToolError("that has no finite value", "check for a division by zero")
    if approx.is_real and approx != 0:
        size = abs(approx)
        if size > 1e300 or size < 1e-300 or value.is_Integer:
            text = mpmath.nstr(mpmath.mpf(approx._mpf_), 10)
            return text.replace(".0e", "e"), exact
    return say_number(value), exact


def calculate(expression: str, *, timeout_s: float = TIMEOUT_S) -> ToolResult:
    """Evaluate ``expression`` (arithmetic, percentage, unit conversion or an equation to solve).

    The work runs in the tools' sandbox (a child process killed after ``timeout_s``), so no
    expression can hang the caller. Raises :class:`ToolError` only.
    """
    from jarvis.tools import executor

    if len(expression) > MAX_CHARS:
        raise ToolError("that expression is too long", f"keep it under {MAX_CHARS} characters")
    if executor.in_sandbox():
        return evaluate(expression)
    try:
        return executor.sandbox().call(evaluate, (expression,), timeout_s)
    except TimeoutError:
        raise ToolError(f"the calculation took longer than {timeout_s:g} s and was stopped",
                        "simplify the expression") from None
    except executor.SandboxUnavailable:
        return evaluate(expression)  # no child process can start here: the size bounds still hold
    except ChildProcessError as exc:
        raise ToolError(f"the calculation stopped ({exc})", "simplify the expression") from None


def evaluate(expression: str) -> ToolResult:
    """:func:`calculate` here and now (in the sandbox): every failure is a one-line :class:`ToolError`."""
    try:
        return _evaluate(expression)
    except ToolError:
        raise
    except NotImplementedError:
        raise ToolError(f"cannot solve '{short(expression)}' exactly", "try a simpler equation") from None
    except (MemoryError, OverflowError):
        raise ToolError("that number is too large to work with", "use smaller numbers or exponents") from None
    except RecursionError:
        raise ToolError("the expression is nested too deeply", "use fewer brackets inside each other") from None
    except Exception as exc:  # sympy's own failures (ValueError, TypeError, PolynomialError ...)
        raise ToolError(f"cannot calculate '{short(expression)}': {short(str(exc), 80)}",
                        "simplify the expression") from None


def _evaluate(expression: str) -> ToolResult:
    import sympy

    if len(expression) > MAX_CHARS:
        raise ToolError("that expression is too long", f"keep it under {MAX_CHARS} characters")
    conversion = find_conversion(expression)
    if conversion is not None:
        return convert(*conversion)
    text = normalise(expression)
    asked = ASKING.sub("", expression.strip().rstrip("?").strip())
    if text.count("=") == 1:
        lhs, rhs = text.split("=")
        left, right = _Parser(lhs), _Parser(rhs)
        eq = sympy.Eq(finite(left.parse(), asked), finite(right.parse(), asked), evaluate=False)
        symbols = sorted(left.symbols | right.symbols, key=str)
        if not symbols:
            truth = bool(sympy.simplify(eq.lhs - eq.rhs) == 0)
            return ToolResult(f"{expression.strip()} is {'true' if truth else 'false'}.", {"value": str(truth)})
        sym = symbols[0]
        if degree(eq.lhs - eq.rhs, sym) > MAX_DEGREE:
            raise ToolError(f"that equation's degree is too high (over {MAX_DEGREE})",
                            f"keep powers of {sym} at {MAX_DEGREE} or less")
        solutions = [s for s in sympy.solve(eq, sym) if not s.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)]
        if not solutions:
            return ToolResult(f"{expression.strip()} has no solution.", {"value": "", "solutions": []})
        said = [say(s)[0] if s.is_number else short(str(s), 200) for s in solutions]
        return ToolResult(f"{sym} = {' or '.join(said)}", {"value": said[0], "solutions": said})
    parser = _Parser(text)
    value = finite(tidy(finite(parser.parse(), asked)), asked)
    if parser.symbols:
        return ToolResult(f"{expression.strip()} = {value}", {"value": str(value)})
    if not value.is_number:
        raise ToolError(f"cannot calculate '{short(expression)}'", "use numbers and + - * / ^ %")
    said, exact = say(value)
    data = {"value": said, "exact": exact or said}
    approximate = value.is_Rational and said != exact and "/" in exact and len(said) > 8 or not value.is_Rational
    shown = f" (exactly {exact})" if approximate and exact and exact != said and len(exact) <= 80 else ""
    return ToolResult(f"{asked} = {said}{shown}", data)


_DIRECT = re.compile(
    r"\d\s*[-+*/^%x×÷=]\s*\d|\d\s*%|\b(calculate|calcula|solve|resuelve|equation|ecuacion|convert|convierte)\b"
)
# a word that asks for math when a number comes after it ...
_WORD_THEN_NUMBER = re.compile(
    r"\b(divide|multiply|multiplica|power|potencia|average|media|promedio|"
    r"percent|por ciento|square root|raiz cuadrada|how many|how much|cuantos|cuantas|cuanto)\b"
)
# ... or when it comes after a number
_NUMBER_THEN_WORD = re.compile(
    r"\b(percent|por ciento|plus|minus|times|divided|divide|multiply|multiplied|over|squared|cubed|"
    r"root|mas|menos|por|entre|raiz|miles?|km|kilometers?|kilometros?|meters?|metros?|feet|foot|pies|"
    r"inch(es)?|kilos?|kilograms?|pounds?|libras?|grams?|gramos?|celsius|fahrenheit|liters?|litros?|"
    r"gallons?|cups?|mph|tip|propina|half|mitad|third|tercio|total|eggs|each|cada)\b"
)
_DIGIT = re.compile(r"\d")


class CalculatorTool(Tool):
    """Exact arithmetic, percentages, unit conversions and equations (sympy, never eval)."""

    name = "calculator"
    # a number next to an operator or a math/unit word, or an explicit request to calculate: a year
    # or an order number alone ("the 1969 moon landing") does not offer the calculator. The full rule
    # is is_relevant (one pass over the text: as one regex, "a digit, then later a word" took 2 s
    # on a 20 kB message); ``keywords`` only marks the tool as a keyword tool.
    keywords = _DIRECT.pattern
    description = (
        "Calculate exactly: arithmetic, percentages ('17% of 240'), powers and roots, unit conversions "
        "('5 km to miles', '100 F to C') and equations ('2x + 3 = 7'). Always use it for any math."
    )
    parameters = {
        "type": "object",
        "properties": {"expression": {"type": "string", "description": "the math, e.g. 17% of 240"}},
        "required": ["expression"],
    }

    isolated = True  # the executor runs it in its sandbox (killed at the timeout)

    def is_relevant(self, text: str) -> bool:
        """A number next to an operator, a request to calculate, or a math or unit word with a number
        after it (or, for the words that follow one, before it); linear in the text's length."""
        if _DIRECT.search(text):
            return True
        word = _WORD_THEN_NUMBER.search(text)
        if word is not None and _DIGIT.search(text, word.end()):
            return True
        digit = _DIGIT.search(text)
        return digit is not None and _NUMBER_THEN_WORD.search(text, digit.end()) is not None

    def run(self, args: dict[str, Any]) -> ToolResult:
        """Calculate ``args['expression']``."""
        return calculate(str(args["expression"]))
