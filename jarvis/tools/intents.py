"""The instant path: a deterministic matcher for everyday commands in English and Spanish.

Time, date, timers/alarms/reminders (set, list, cancel), plain arithmetic, "remember that ...",
stop, and "what can you do" are answered without a model. Only whole-sentence patterns match:
anything the matcher is unsure of goes to the model (with tools).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jarvis.messages import ToolCall
from jarvis.tools.clock import plain
from jarvis.tools.spoken_numbers import duration_seconds, words_to_digits


@dataclass(frozen=True)
class Intent:
    """A matched command: what it is, the language it was said in, and the tool call (None: no tool)."""

    kind: str
    language: str
    call: ToolCall | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


POLITE = (r"(?:(?:hey |ok |okay )?jarvis,? )?"
          r"(?:(?:can|could|would) you (?:please )?|please |por favor |puedes |podrias )?")
TIME_EN = _rx(r"what(?:'s| is) the (?:current )?time", r"what time is it", r"tell me the (?:current )?time",
              r"the (?:current )?time", r"time please",
              r"do you (?:know|have) the time", r"what(?:'s| is) the time now", r"what time is it now")
# "que ahora es": how whisper-base often hears "¿qué hora es?" (2 of 3 spoken fixtures in the TUI)
TIME_ES = _rx(r"que a?hora es", r"que horas son", r"(?:me )?(?:dices|das|puedes decir) la hora", r"la hora",
              r"que a?hora es ahora")
TIME_IN = re.compile(r"^(?:what(?:'s| is) the time|what time is it|que a?hora es) (?:in|en) (.+)$")
DATE_EN = _rx(r"what(?:'s| is) (?:the date|today'?s date)(?: today)?", r"what day is (?:it|today)(?: today)?",
              r"what is today", r"which day is (?:it|today)", r"what(?:'s| is) the date today")
DATE_ES = _rx(r"que dia es hoy", r"que fecha es hoy", r"a que fecha estamos", r"que dia es", r"en que fecha estamos",
              r"a que dia estamos")
DAY_OF = re.compile(r"^(?:what day is|what(?:'s| is) the date (?:of|on)|what date is|que dia es|que fecha es|"
                    r"en que fecha cae) (.+)$")
TIMER = re.compile(
    r"^(?:set|start|put|make|create|pon|ponme|programa|inicia|activa)?(?: me)?(?: an?| un| una)? ?"
    r"(?:timer|temporizador|cuenta atras)(?: for| of| de| para)? (?P<d>.+?)(?: (?:called|named|for|llamado|para) "
    r"(?P<label>[a-z ]+))?$"
)
TIMER_AFTER = re.compile(r"^(?:set |start |pon |ponme )?(?:an? |un |una )?(?P<d>.+?) (?:timer|temporizador)$")
ALARM = re.compile(
    r"^(?:set|put|pon|ponme|programa)?(?: me)?(?: an?| una)? ?(?:alarm|alarma)(?: for| at| a las| a la| para las|"
    r" para la)? (?P<t>\d{1,2}(?:[:.h]\d{2})?(?: ?(?:am|pm|a\.m\.|p\.m\.))?)$|"
    r"^(?:wake me(?: up)? at|despiertame a las|despiertame a la) "
    r"(?P<t2>\d{1,2}(?:[:.h]\d{2})?(?: ?(?:am|pm))?)$"
)
REMIND_IN = re.compile(
    r"^(?:remind me (?:to |that |about )?|recuerdame (?:que )?)(?P<text>.+?) (?:in|en|dentro de) (?P<d>.+)$"
)
REMIND_ME_IN = re.compile(r"(?:^|.*[,;] ?|.* and )(?:remind me|recuerdame) (?:in|en|dentro de) (?P<d>.+?) "
                          r"(?:to|that|about|que|de|a) (?P<text>.+)$")
REMIND_IN_FIRST = re.compile(r"^(?:in|en|dentro de) (?P<d>.+?),? (?:remind me (?:to |that )?|recuerdame (?:que )?)"
                             r"(?P<text>.+)$")
REMIND_AT = re.compile(
    r"^(?:remind me (?:to |that |about )?|recuerdame (?:que )?)(?P<text>.+?) (?:at|a las|a la) "
    r"(?P<t>\d{1,2}(?:[:.h]\d{2})?(?: ?(?:am|pm))?)$"
)
LIST_TIMERS = _rx(
    r"(?:what|which|list|show)(?: are)?(?: my| the| all)? (?:timers|alarms|reminders)"
    r"(?: are)?(?: set| running| there)?",
    r"(?:do i have|are there) any (?:timers|alarms|reminders)(?: set| running)?",
    r"how (?:much|long) (?:time )?(?:is )?left(?: on (?:the|my) timer)?",
    r"(?:que|cuales|cuantos) (?:temporizadores|alarmas|recordatorios) (?:hay|tengo)(?: puestos| puestas)?",
    r"(?:lista|muestra|ensena)(?:me)? (?:los |las |mis )?(?:temporizadores|alarmas|recordatorios)",
    r"cuanto (?:tiempo )?(?:queda|le queda)(?: al temporizador)?",
)
CANCEL = re.compile(
    r"^(?:cancel|stop|delete|remove|clear|turn off|cancela|para|borra|quita|apaga|elimina)"
    r"(?: the| my| all| all the| all my| el| la| los| las| mi| mis| todos los| todas las)? ?"
    r"(?P<what>timers?|alarms?|reminders?|temporizador(?:es)?|alarmas?|recordatorios?)"
    r"(?: (?:number |numero |#)?(?P<id>\d+)| (?:called |named |for |llamado |de |del |para )?(?P<label>[a-z ]+))?$"
)
STOP = _rx(r"stop", r"stop it", r"stop talking", r"cancel", r"never ?mind", r"shut up", r"be quiet", r"quiet",
           r"para", r"parate", r"detente", r"callate", r"cancela", r"silencio", r"olvidalo", r"dejalo")
HELP = _rx(r"what can you do", r"what do you do", r"help", r"what are your (?:skills|commands|abilities)",
           r"que puedes hacer", r"que sabes hacer", r"ayuda", r"ayudame", r"en que me puedes ayudar")
REMEMBER = re.compile(r"^(?:please )?(?:remember|don't forget|recuerda|acuerdate de|no olvides) (?:that |que )?"
                      r"(?P<fact>.+)$")
MATH_ASK = re.compile(r"^(?:what(?:'s| is)|how much is|calculate|compute|cuanto es|cuanto son|calcula|cuanto da|"
                      r"cual es)"
                      r" (?P<expr>.+)$")
MATH_WORDS = (
    r"[-+*/^%x]|\b(percent|por ciento|times|por|plus|mas|minus|menos|divided|divide|multiply|multiplica|entre|"
    r"squared|al cuadrado|cubed|root|raiz|sqrt|to|in|en|a)\b"
)
SPANISH_HINTS = re.compile(
    r"\b(que|hora|dia|fecha|pon|ponme|temporizador|alarma|recuerdame|recuerda|cancela|para|cuanto|es|son|de|"
    r"minutos|segundos|horas|hoy|ayuda|puedes|callate|lista|queda|mis|los|las)\b"
)


def _language(text: str, hint: str | None) -> str:
    if hint in ("en", "es"):
        return hint
    return "es" if SPANISH_HINTS.search(text) else "en"


def _clean(text: str) -> str:
    t = plain(text).strip()
    t = re.sub(r"[¿¡!?.,;]+$", "", t)
    t = re.sub(r"^[¿¡]+", "", t)
    t = re.sub(r"\s+", " ", t.replace("’", "'")).strip()
    t = re.sub(rf"^{POLITE}", "", t).strip()
    return re.sub(r",? (?:please|por favor)$", "", t).strip()


def _full(rx: re.Pattern[str], text: str) -> bool:
    return rx.fullmatch(text) is not None


def match(text: str, language: str | None = None) -> Intent | None:
    """The everyday command ``text`` is, or None when a model should answer it."""
    t = _clean(text)
    if not t or len(t) > 160:
        return None
    lang = _language(t, language)
    found = _timers(t, lang)  # before commas go: "I'm boiling eggs, remind me in 7 minutes to ..."
    if found is not None:
        return found
    t = re.sub(r"[,;]", "", t)
    if _full(TIME_EN, t) or _full(TIME_ES, t):
        return Intent("time", lang, ToolCall("clock", {}))
    m = TIME_IN.match(t)
    if m:
        place = re.sub(r"\s+(right now|now|today|ahora|ahora mismo|en este momento)$", "", m.group(1)).strip()
        return Intent("time", lang, ToolCall("clock", {"timezone": place}), {"place": place})
    if _full(DATE_EN, t) or _full(DATE_ES, t):
        return Intent("date", lang, ToolCall("clock", {}))
    m = DAY_OF.match(t)
    if m and not m.group(1).startswith(("it", "today", "hoy")):
        return Intent("date", lang, ToolCall("clock", {"day": m.group(1)}), {"day": m.group(1)})
    found = _timers(t, lang)
    if found is not None:
        return found
    if _full(STOP, t):
        return Intent("stop", lang)
    if _full(HELP, t):
        return Intent("help", lang)
    m = REMEMBER.match(t)
    if m and len(m.group("fact").split()) >= 3:
        fact = re.sub(rf"^{POLITE}", "", text.strip(), flags=re.I)
        fact = re.sub(r"^(?:please )?(?:remember|don't forget|recuerda|acuérdate de|acuerdate de|no olvides)"
                      r"\s+(?:that |que )?", "", fact, flags=re.I).strip()
        return Intent("remember", lang, ToolCall("remember", {"fact": fact}))
    return _math(t, lang)


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
    for rx in (REMIND_ME_IN, REMIND_IN, REMIND_IN_FIRST):
        m = rx.match(t)
        if m:
            secs = duration_seconds(m.group("d"))
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
            secs = duration_seconds(m.group("d"))
            if secs:
                label = (m.groupdict().get("label") or "").strip()
                args: dict[str, Any] = {"seconds": secs}
                if label:
                    args["label"] = label
                return Intent("timer", lang, ToolCall("set_timer", args))
    return None


def _math(t: str, lang: str) -> Intent | None:
    from jarvis.tools.base import ToolError
    from jarvis.tools.calculator import calculate
    from jarvis.tools.units import find_conversion

    m = MATH_ASK.match(t)
    expr = re.sub(r"^(?:el|la|los|las|un|una|the) ", "", m.group("expr")) if m else t
    if find_conversion(t) is not None:  # "how many feet are in 3 meters", "5 km to miles"
        return Intent("math", lang, ToolCall("calculator", {"expression": t}))
    if not re.search(r"\d", expr) or not re.search(MATH_WORDS, expr):
        return None
    try:
        calculate(expr)
    except (ToolError, ValueError, TypeError, ArithmeticError, RecursionError):
        return None
    return Intent("math", lang, ToolCall("calculator", {"expression": expr}))
