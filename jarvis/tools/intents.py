"""The instant path: a deterministic matcher for everyday commands in English and Spanish.

Time, date, timers/alarms/reminders (set, list, cancel), arithmetic and unit conversions said in
digits or words, "remember that ...", stop, and "what can you do" are answered without a model.
Politeness ("hey jarvis", "can you tell me", "oye", "dime", "por favor") and the tails people add
("right now", "ahora mismo", "please") are set aside first; then only whole-sentence patterns match,
and what a command names (a place, a day, a duration, a sum) must be one the tool can read.
Anything the matcher is unsure of goes to the model (with tools): a false match answers something
the user did not ask, which is worse than a moment's wait for the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jarvis.messages import ToolCall
from jarvis.tools.clock import plain
from jarvis.tools.spoken_numbers import duration_only, numbers_to_digits, words_to_digits


@dataclass(frozen=True)
class Intent:
    """A matched command: what it is, the language it was said in, and the tool call (None: no tool)."""

    kind: str
    language: str
    call: ToolCall | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _rx(*patterns: str, tail: str = "") -> re.Pattern[str]:
    return re.compile("(?:" + "|".join(f"(?:{p})" for p in patterns) + ")" + tail)


# One lead-in, set aside again and again: "hey jarvis, can you tell me ...", "oye jarvis, ¿me dices ...".
LEAD = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|oh|so|um|uh|hola|oye|oiga|eh|bueno|jarvis|please|por favor|excuse me|sorry|"
    r"perdona|perdon|disculpa|disculpe)(?:,|\b)|vale,|"
    r"(?:can|could|would|will) you(?: please)?(?: tell me)?\b|(?:do|would) you (?:happen to )?know\b|"
    r"tell me\b|dime\b|sabes\b|sabrias\b|me (?:dices|das|puedes decir|podrias decir|dirias)\b|"
    r"(?:puedes|podrias) decirme\b|(?:me )?(?:puedes|podrias)\b)\s*"
)
TAIL = re.compile(r",?\s+(?:please|por favor|jarvis|thanks|thank you|gracias|for me)$")
NOW = r"(?: (?:right now|now|currently|at the moment|exactly|ahora mismo|ahora|ya|en este momento|exactamente)){0,2}"
TIME_EN = _rx(
    r"what(?:'s| is|s) the (?:current |exact )?time", r"what time is it", r"what time it is",
    r"(?:the )?(?:current |exact )?time please", r"the (?:current |exact )?time", r"current time", r"time check",
    r"time",
    r"what time (?:do you have|have you got|you got)", r"(?:have you )?got the time", r"what hour is it",
    r"(?:give me|check|say) the (?:current )?time", r"do you have the time",
    tail=NOW,
)
# "que ahora es": how whisper-base often hears "¿qué hora es?" (2 of 3 spoken fixtures in the TUI)
TIME_ES = _rx(
    r"que a?hora (?:es|tenemos|tienes|sera|marca tu reloj)", r"que horas son", r"tienes hora", r"la hora",
    r"cual es la hora(?: actual)?", r"la hora actual", r"hora actual", r"la hora que es",
    tail=NOW,
)
TIME_IN = re.compile(r"^(?:what(?:'s| is) the time|what time is it|que a?hora es|la hora|the time) (?:in|en) (.+)$")
DATE_EN = _rx(
    r"what(?:'s| is|s) (?:the date|today'?s date|the day)(?: today)?", r"what (?:day|date) is (?:it|today)(?: today)?",
    r"what is today", r"which day is (?:it|today)", r"(?:what|which) day of the week is (?:it|today)(?: today)?",
    r"(?:today'?s|the) date(?: today)?", r"what (?:day|date) it is(?: today)?", r"what the date is(?: today)?",
    r"what day of the week it is(?: today)?",
    tail=r"(?: (?:exactly|now))?",
)
DATE_ES = _rx(
    r"que (?:dia|fecha) es(?: hoy)?", r"(?:a|en) que (?:fecha|dia) estamos(?: hoy)?", r"hoy que dia es",
    r"cual es la fecha(?: de hoy| actual)?", r"la fecha(?: de hoy| actual)?", r"que dia de la semana es(?: hoy)?",
    r"a cuantos estamos(?: hoy)?", r"que (?:fecha|dia) tenemos(?: hoy)?",
    tail=r"(?: (?:exactamente|ahora))?",
)
DAY_OF = re.compile(r"^(?:what day is|what(?:'s| is) the date (?:of|on)|what date is|que dia es|que fecha es|"
                    r"que dia cae|en que fecha cae) (.+)$")
WEEKDAY = (r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|miercoles|jueves|viernes|"
           r"sabado|domingo)")
DAY_PHRASE = re.compile(  # what resolve_day reads; anything else ("the super bowl") is for the model
    rf"tomorrow|yesterday|(?:the )?day after tomorrow|manana|pasado manana|ayer|"
    rf"(?:(?:next|this|el|el proximo|este|el que viene) )?{WEEKDAY}(?: que viene| next week)?|"
    rf"(?:in|en|dentro de) \d+ (?:days?|weeks?|dias?|semanas?)|\d{{4}}-\d{{2}}-\d{{2}}"
)
TIMER_VERB = (r"(?:set|start|put|make|create|give|get|new|i need|i want|i'd like|pon|ponme|pones|me pones|poner|"
              r"programa|programame|inicia|activa|crea|empieza|necesito|quiero)(?: me| on)?(?: an?| un| una| el| the)?")
TIMER = re.compile(
    rf"^(?:{TIMER_VERB} )?(?:(?:an?|un|una|el|the) )?(?:timer|temporizador|cuenta atras|countdown)(?: on)?"
    r"(?: for| of| de| para| a)? "
    r"(?P<d>.+?)(?: (?:called|named|for|to|llamado|para) (?P<label>[a-z' ]+))?$"
)
TIMER_AFTER = re.compile(rf"^(?:{TIMER_VERB} )?(?:an? |un |una )?(?P<d>.+?) (?:timer|temporizador|countdown)$")
ALARM = re.compile(
    r"^(?:set|put|pon|ponme|programa)?(?: me)?(?: an?| una)? ?(?:alarm|alarma)(?: for| at| a las| a la| para las|"
    r" para la)? (?P<t>\d{1,2}(?:[:.h]\d{2})?(?: ?(?:am|pm|a\.m\.|p\.m\.))?)$|"
    r"^(?:wake me(?: up)? at|despiertame a las|despiertame a la) "
    r"(?P<t2>\d{1,2}(?:[:.h]\d{2})?(?: ?(?:am|pm))?)$"
)
REMIND_IN = re.compile(r"^(?:remind me (?:to |that |about )?|recuerdame (?:que )?)(?P<rest>.+)$")
REMIND_ME_IN = re.compile(r"^(?:.*[,;] ?|.* and )?(?:remind me|recuerdame) (?:in|en|dentro de) (?P<rest>.+)$")
REMIND_IN_FIRST = re.compile(r"^(?:in|en|dentro de) (?P<d>.+?),? (?:remind me (?:to |that )?|recuerdame (?:que )?)"
                             r"(?P<text>.+)$")
REMIND_AT = re.compile(
    r"^(?:remind me (?:to |that |about )?|recuerdame (?:que )?)(?P<text>.+?) (?:at|a las|a la) "
    r"(?P<t>\d{1,2}(?:[:.h]\d{2})?(?: ?(?:am|pm))?)$"
)
LIST_TIMERS = _rx(
    r"(?:what|which|list|show)(?: are)?(?: my| the| all)? (?:timers|alarms|reminders)"
    r"(?: are)?(?: set| running| there| on| do i have)?",
    r"(?:do i have|are there) any (?:timers|alarms|reminders)(?: set| running)?",
    r"how (?:much|long) (?:time )?(?:is )?left(?: on (?:the|my) timer)?",
    r"(?:que|cuales|cuantos) (?:temporizadores|alarmas|recordatorios) (?:hay|tengo)"
    r"(?: puestos| puestas| activos| activas)?",
    r"(?:lista|muestra|ensena)(?:me)? (?:los |las |mis )?(?:temporizadores|alarmas|recordatorios)",
    r"cuanto (?:tiempo )?(?:queda|le queda)(?: al temporizador)?",
)
CANCEL = re.compile(
    r"^(?:cancel|stop|delete|remove|clear|turn off|cancela|para|borra|quita|apaga|elimina)"
    r"(?: the| my| all| all the| all my| el| la| los| las| mi| mis| todos los| todas las)? ?"
    r"(?P<what>timers?|alarms?|reminders?|temporizador(?:es)?|alarmas?|recordatorios?)"
    r"(?: (?:number |numero |#)?(?P<id>\d+)| (?:called |named |for |llamado |de |del |para )?(?P<label>[a-z ]+))?$"
)
STOP = _rx(
    r"stop(?: it| that| talking| speaking| stop)?", r"cancel(?: that| it)?", r"never ?mind", r"shut up",
    r"be (?:quiet|silent)", r"quiet", r"hush", r"silence", r"(?:that'?s )?enough", r"forget (?:it|about it)",
    r"para(?:lo)?", r"parate", r"detente", r"callate", r"calla", r"cancela(?:lo)?", r"silencio", r"olvidalo",
    r"dejalo", r"basta(?: ya)?", r"ya basta", r"para ya", r"no sigas", r"(?:deja|para) de hablar", r"vale ya",
    r"ya vale", r"(?:es )?suficiente",
    tail=r"(?: (?:right now|now|ya|ahora mismo|ahora))?",
)
HELP = _rx(r"what can you do", r"what do you do", r"help", r"what are your (?:skills|commands|abilities)",
           r"que puedes hacer", r"que sabes hacer", r"ayuda", r"ayudame", r"en que me puedes ayudar")
REMEMBER = re.compile(r"^(?:please )?(?:remember|don'?t forget|recuerda|acuerdate de|no olvides) "
                      r"(?:(?P<that>that|que) )?(?P<fact>.+)$")
FIRST_PERSON = re.compile(r"^(?:my|i|i'm|im|i've|ive|i'll|we|we're|our|mi|mis|yo|tengo|soy|nuestro|nuestra)\b")
MATH_ASK = re.compile(r"^(?:what(?:'s| is|s| are)|how much (?:is|are)|calculate|compute|work out|cuanto (?:es|son|da)|"
                      r"calcula|calculame|cual es|what do you get for|what does) (?P<expr>.+?)(?: (?:make|equal))?$")
MATH_EMBEDDED = re.compile(r"^(?:what|how much) (?P<expr>.+) (?:is|are|makes|equals)$")
MATH_WORDS = (
    r"[-+*/^%x×÷]|\b(percent|per cent|por ciento|times|por|plus|mas|minus|menos|divided|divide|dividido|multiply|"
    r"multiplied|multiplicado|multiplica|entre|over|squared|al cuadrado|cubed|al cubo|root|raiz|sqrt|power|"
    r"elevado)\b"
)
SCALE_OF = [  # "half of 300" -> "(300) / 2": the calculator has no words for these
    (re.compile(r"^(?:half of|la mitad de) (.+)$"), r"(\1) / 2"),
    (re.compile(r"^(?:double|twice|el doble de) (.+)$"), r"2 * (\1)"),
    (re.compile(r"^(?:triple|el triple de) (.+)$"), r"3 * (\1)"),
]
SPANISH_WORDS = set(
    "que hora horas dia fecha hoy pon ponme temporizador temporizadores alarma alarmas recuerdame recuerda "
    "cancela para cuanto cuantos cuantas cuanta es son de del minutos segundos ayuda puedes podrias callate calla "
    "lista queda mis los las el la un una uno dos tres cuatro cinco seis siete ocho nueve diez doce quince veinte "
    "treinta cien mil por mas menos entre ciento raiz cuadrado cuadrada dime oye tenemos tienes estamos ahora "
    "mismo basta detente parate silencio olvidalo dejalo cancelalo sigas hablar suficiente vale ya convierte pasa "
    "metros kilometros centimetros gramos litros semana semanas dias mitad doble hay tiene tienen cual sabes "
    "dices das cuenta atras millas libras en y al elevado dividido multiplicado calcula programa necesito quiero "
    "por favor gracias hola perdona disculpa".split()
)
ENGLISH_WORDS = set(
    "what what's whats is it the how many much time set timer timers minutes minute hours hour seconds second "
    "please stop are there for of to in plus minus times divided percent tell you can could do day date today "
    "remind cancel alarm which give one two three four five six seven eight nine ten twenty hundred thousand "
    "and half quarter an my i convert thanks hey quiet shut up never mind enough squared root square "
    "right now current".split()
)


def _language(text: str, hint: str | None) -> str:
    if hint in ("en", "es"):
        return hint
    words = re.findall(r"[a-z']+", text)
    es = sum(w in SPANISH_WORDS for w in words)
    return "es" if es > sum(w in ENGLISH_WORDS for w in words) else "en"


def _clean(text: str) -> str:
    t = plain(text).strip().replace("’", "'")
    t = re.sub(r"[¿¡!?]+", " ", t)
    t = re.sub(r"[.,;:]+$", "", t.strip())
    t = re.sub(r"\s+", " ", t).strip()
    for _ in range(6):
        before = t
        t = LEAD.sub("", t).lstrip(" ,")
        t = TAIL.sub("", t).rstrip(" ,.")
        if t == before:
            break
    return t


def _full(rx: re.Pattern[str], text: str) -> bool:
    return rx.fullmatch(text) is not None


def match(text: str, language: str | None = None) -> Intent | None:
    """The everyday command ``text`` is, or None when a model should answer it."""
    t = _clean(text)
    if not t or len(t) > 160:
        return None
    lang = _language(plain(text), language)
    found = _timers(t, lang)  # before commas go: "I'm boiling eggs, remind me in 7 minutes to ..."
    if found is not None:
        return found
    t = re.sub(r"\s+", " ", re.sub(r"(?<!\d)[,;]|[,;](?!\d)", " ", t)).strip()  # "1,200" and "3,5" stay
    if _full(TIME_EN, t) or _full(TIME_ES, t):
        return Intent("time", lang, ToolCall("clock", {}))
    found = _time_in(t, lang)
    if found is not None:
        return found
    if _full(DATE_EN, t) or _full(DATE_ES, t):
        return Intent("date", lang, ToolCall("clock", {}))
    m = DAY_OF.match(t)
    if m and DAY_PHRASE.fullmatch(numbers_to_digits(m.group(1), lang)):
        day = numbers_to_digits(m.group(1), lang)
        return Intent("date", lang, ToolCall("clock", {"day": day}), {"day": day})
    found = _timers(t, lang)
    if found is not None:
        return found
    if _full(STOP, re.sub(r"^(\w+)(?: \1)+$", r"\1", t)):  # "stop stop", "para, para"
        return Intent("stop", lang)
    if _full(HELP, t):
        return Intent("help", lang)
    m = REMEMBER.match(t)
    if (m and len(m.group("fact").split()) >= 3 and "?" not in text  # "remember that song? play it" asks
            and (m.group("that") or FIRST_PERSON.match(m.group("fact")))):
        fact = re.sub(r"^[¿¡\s]+", "", text.strip())
        fact = re.sub(r"^(?:(?:hey |ok |okay )?jarvis,? )?(?:please )?", "", fact, flags=re.I)
        fact = re.sub(r"^(?:remember|don'?t forget|recuerda|acuérdate de|acuerdate de|no olvides)"
                      r"\s+(?:that |que )?", "", fact, flags=re.I).strip()
        return Intent("remember", lang, ToolCall("remember", {"fact": fact}))
    return _math(t, lang)


def _time_in(t: str, lang: str) -> Intent | None:
    """ "what time is it in Tokyo right now": only a place the clock knows ("en la luna" is not one)."""
    from jarvis.tools.base import ToolError
    from jarvis.tools.clock import find_zone

    m = TIME_IN.match(t)
    if not m:
        return None
    place = re.sub(r"\s+(right now|now|today|ahora|ahora mismo|en este momento)$", "", m.group(1)).strip()
    try:
        find_zone(place)
    except (ToolError, ValueError):
        return None
    return Intent("time", lang, ToolCall("clock", {"timezone": place}), {"place": place})


def _split(rest: str, separators: str, from_right: bool) -> tuple[str, float, str] | None:
    """(before, seconds, after) at the first separator (from either end) where one side is a duration:
    the duration is after the separator when ``from_right``, else before it."""
    cuts = [m for m in re.finditer(rf" (?:{separators}) ", rest)]
    for m in reversed(cuts) if from_right else cuts:
        before, after = rest[:m.start()].strip(), rest[m.end():].strip()
        secs = duration_only(after if from_right else before)
        if secs and before and after:
            return before, secs, after
    return None


def _timers(t: str, lang: str) -> Intent | None:
    if _full(LIST_TIMERS, t):
        return Intent("list_timers", lang, ToolCall("list_timers", {}))
    m = CANCEL.match(t)
    if m:
        what = m.group("what")
        kind = "timer"
        if what.startswith("alarm"):
            kind = "alarm"
        elif what.startswith(("remind", "recorda")):
            kind = "reminder"
        which = m.group("id") or (m.group("label") or "").strip() or kind  # a kind cancels all of that kind
        return Intent("cancel_timer", lang, ToolCall("cancel_timer", {"which": which}))
    m = REMIND_ME_IN.match(t)  # "remind me in 10 minutes to call mom"
    if m:
        split = _split(m.group("rest"), "to|that|about|que|de|a", from_right=False)
        if split:
            return Intent("reminder", lang, ToolCall("set_reminder", {"text": split[2], "seconds": split[1]}))
    m = REMIND_IN.match(t)  # "remind me to put the cake in the oven in 10 minutes"
    if m:
        split = _split(m.group("rest"), "in|en|dentro de", from_right=True)
        if split:
            return Intent("reminder", lang, ToolCall("set_reminder", {"text": split[0], "seconds": split[1]}))
    m = REMIND_IN_FIRST.match(t)
    if m:
        secs = duration_only(m.group("d"))
        if secs:
            return Intent("reminder", lang, ToolCall("set_reminder", {"text": m.group("text"), "seconds": secs}))
    m = REMIND_AT.match(t)
    if m:
        return Intent("reminder", lang, ToolCall("set_reminder", {"text": m.group("text"), "time": m.group("t")}))
    m = ALARM.match(words_to_digits(t))
    if m:
        when = m.group("t") or m.group("t2")
        return Intent("alarm", lang, ToolCall("set_alarm", {"time": when}))
    for rx in (TIMER, TIMER_AFTER):
        m = rx.match(t)
        if m:
            secs = duration_only(m.group("d"))
            if secs:
                label = (m.groupdict().get("label") or "").strip()
                args: dict[str, Any] = {"seconds": secs}
                if label:
                    args["label"] = label
                return Intent("timer", lang, ToolCall("set_timer", args))
    return None


# Calculator errors about the value, not the reading: the question was math, and its answer is this.
_UNWORKABLE = re.compile(r"division by zero|no finite value|too large|too small|digits, more than|exponent is too|"
                         r"nested too deeply|took longer than|factorial needs")


def _math(t: str, lang: str) -> Intent | None:
    """Arithmetic, percentages and unit conversions, numbers in words or digits: "fifteen percent of two
    hundred" -> the calculator's "15 percent of 200"; "una hora y media en minutos" -> "1.5 hora en minutos"."""
    from jarvis.tools.base import ToolError
    from jarvis.tools.calculator import calculate
    from jarvis.tools.units import find_conversion

    said = numbers_to_digits(t, lang)
    if find_conversion(said, whole=True) is not None:  # "how many feet are in 3 meters", "5 km to miles"
        return Intent("math", lang, ToolCall("calculator", {"expression": said}))
    m = MATH_ASK.match(said) or MATH_EMBEDDED.match(said)
    expr = m.group("expr") if m else said
    expr = re.sub(r" (?:exactly|exactamente|right now|ahora)$", "", expr)
    for rx, repl in SCALE_OF:
        expr = rx.sub(repl, expr)
    expr = re.sub(r"^(?:el|la|los|las|the) ", "", expr)
    if not re.search(r"\d", expr) or not re.search(MATH_WORDS, expr):
        return None
    if re.fullmatch(r"[\d.,]+ ?(?:%|percent|per cent|por ciento)", expr):  # "el uno por ciento": of what?
        return None
    try:
        calculate(expr)
    except ToolError as exc:
        if not _UNWORKABLE.search(exc.message):  # not read as math: the model may understand it
            return None
        # read as math, but no answer exists or it is too big: said at once (a model guessed one)
    except (ValueError, TypeError, ArithmeticError, RecursionError):
        return None
    return Intent("math", lang, ToolCall("calculator", {"expression": expr}))
