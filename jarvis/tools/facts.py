"""Country facts from offline data: capital, continent, official languages, currency and population.

The small local models get these wrong, worst in Spanish ("La capital de Portugal es Roma."), so the
instant path answers the common questions from data instead: :func:`country_fact` matches a whole
question in English or Spanish and words the answer in the asker's language; :class:`CountryFactsTool`
gives models the same answers.

Data: the ``countryinfo`` package (MIT; one JSON file per country), checked by hand on the common
countries. Its rows are from about 2014, so the rows found wrong or out of date are corrected below
(capitals renamed or moved, currencies replaced, wrong language codes, continents the data lacks,
populations of the largest countries). Language and currency names in English and Spanish come from
``babel`` (CLDR); capitals whose Spanish name differs from the English one come from a table here.
Only sovereign countries are answered (UN members, the Vatican, Palestine, Taiwan): territories and
regions ("the capital of California") are left to the model.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from jarvis.tools.base import Tool, ToolError, ToolResult
from jarvis.tools.clock import plain

log = logging.getLogger(__name__)

FACTS = ("capital", "continent", "language", "currency", "population")

# ---------------------------------------------------------------------------------------------- data fixes
# Territories, dependencies and states that no longer exist: not countries (the model answers those).
NOT_COUNTRIES = set(
    "AI AN AQ AS AW AX BL BM BQ BV CC CK CS CW CX EH FK FO GF GG GI GL GP GS GU HK HM IM IO JE KY MF MO MP MQ "
    "MS NC NF NU PF PM PN PR RE SH SJ SX TC TF TK UM VG VI WF YT".split()
)
# English names as said in a sentence (the data's name otherwise).
NAME_EN = {
    "MK": "North Macedonia", "SZ": "Eswatini", "VA": "Vatican City", "BS": "the Bahamas", "GM": "the Gambia",
    "CZ": "the Czech Republic", "CD": "the Democratic Republic of the Congo", "CG": "the Republic of the Congo",
    "US": "the United States", "GB": "the United Kingdom", "NL": "the Netherlands", "PH": "the Philippines",
    "AE": "the United Arab Emirates", "DO": "the Dominican Republic", "CF": "the Central African Republic",
    "MV": "the Maldives", "KM": "the Comoros", "SC": "the Seychelles", "MH": "the Marshall Islands",
    "SB": "the Solomon Islands", "FM": "Micronesia", "PS": "Palestine",
}
# Spanish names where ``translations.es`` is missing, formal or misspelt (with the article Spanish uses).
NAME_ES = {
    "ZA": "Sudáfrica", "US": "Estados Unidos", "SK": "Eslovaquia", "SV": "El Salvador", "HU": "Hungría",
    "KG": "Kirguistán", "SL": "Sierra Leona", "GD": "Granada", "MK": "Macedonia del Norte", "SZ": "Esuatini",
    "VA": "la Ciudad del Vaticano", "GB": "el Reino Unido", "NL": "los Países Bajos",
    "AE": "los Emiratos Árabes Unidos", "CZ": "la República Checa", "DO": "la República Dominicana",
    "CF": "la República Centroafricana", "CD": "la República Democrática del Congo",
    "CG": "la República del Congo", "BS": "las Bahamas", "MV": "las Maldivas", "KM": "las Comoras",
    "SC": "las Seychelles", "MH": "las Islas Marshall", "SB": "las Islas Salomón", "FM": "Micronesia",
    "SA": "Arabia Saudí", "TW": "Taiwán", "PS": "Palestina",
}
# What people call a country besides its names in the data (accent-free, lower case).
ALIASES = {
    "US": "us|usa|u s a|u s|america|the states|eeuu|ee uu|estados unidos|estados unidos de america|"
          "united states of america|norteamerica",
    "GB": "uk|u k|britain|great britain|gran bretana|reino unido",
    "NL": "holanda|holland|paises bajos", "AE": "uae|emiratos|emiratos arabes|emiratos arabes unidos",
    "CZ": "czechia|chequia|republica checa|czech republic", "MM": "burma|birmania",
    "SZ": "swaziland|suazilandia|esuatini|eswatini", "MK": "macedonia|north macedonia|macedonia del norte",
    "CI": "ivory coast|costa de marfil|cote d'ivoire|cote divoire", "TL": "timor leste|east timor|timor oriental",
    "VA": "vatican|vatican city|holy see|vaticano|ciudad del vaticano|santa sede",
    "CD": "drc|dr congo|congo kinshasa|democratic republic of the congo|republica democratica del congo",
    "CG": "congo brazzaville|republic of the congo|republica del congo", "KR": "south korea|corea del sur",
    "KP": "north korea|corea del norte", "TR": "turkiye|turquia", "ZA": "sudafrica|rsa|south africa",
    "SA": "arabia saudita|arabia saudi|saudi", "BS": "bahamas", "GM": "gambia", "SK": "eslovaquia",
    "KG": "kirguistan|kirguizistan", "SL": "sierra leona", "BY": "belarus|bielorrusia", "MD": "moldavia",
    "PS": "palestine|palestina|state of palestine|estado de palestina", "DO": "dominican republic",
    "NZ": "nueva zelanda|nueva zelandia", "BA": "bosnia", "VN": "viet nam", "LA": "lao",
    "CV": "cabo verde", "KN": "saint kitts|st kitts and nevis|san cristobal y nieves",
    "VC": "st vincent and the grenadines|san vicente y las granadinas", "LC": "st lucia|santa lucia",
    "ST": "sao tome|santo tome y principe", "FM": "micronesia", "SV": "el salvador", "HU": "hungria",
    "PG": "papua nueva guinea", "SG": "singapur", "PH": "filipinas|the philippines",
}
# Names the instant path leaves to the model: a US state, a Spanish city, two Congos, two Koreas.
AMBIGUOUS = {"georgia", "granada", "grenada", "congo", "korea", "corea", "dominica republic"}
CAPITAL = {"KZ": "Astana", "BI": "Gitega", "US": "Washington, D.C.", "VA": "Vatican City", "LK": "Colombo"}
# Capitals that take more than a name to say truthfully.
CAPITAL_NOTE = {
    "ZA": ("South Africa has three capitals: Pretoria (government), Cape Town (parliament) and Bloemfontein "
           "(courts).",
           "Sudáfrica tiene tres capitales: Pretoria (gobierno), Ciudad del Cabo (parlamento) y Bloemfontein "
           "(tribunales)."),
    "BO": ("The constitutional capital of Bolivia is Sucre; the government sits in La Paz.",
           "La capital constitucional de Bolivia es Sucre; el gobierno está en La Paz."),
    "NL": ("The capital of the Netherlands is Amsterdam; the government sits in The Hague.",
           "La capital de los Países Bajos es Ámsterdam; el gobierno está en La Haya."),
    "IL": ("Israel names Jerusalem as its capital; most countries keep their embassies in Tel Aviv.",
           "Israel considera Jerusalén su capital; la mayoría de los países tienen su embajada en Tel Aviv."),
    "PS": ("Palestine claims East Jerusalem as its capital; its government sits in Ramallah.",
           "Palestina reclama Jerusalén Este como capital; su gobierno está en Ramala."),
    "LK": ("The official capital of Sri Lanka is Sri Jayawardenepura Kotte; Colombo is its largest city and "
           "commercial capital.",
           "La capital oficial de Sri Lanka es Sri Jayawardenepura Kotte; Colombo es su mayor ciudad y su "
           "capital comercial."),
    "SZ": ("Eswatini has two capitals: Mbabane (government) and Lobamba (parliament and royal seat).",
           "Esuatini tiene dos capitales: Mbabane (gobierno) y Lobamba (parlamento y sede real)."),
}
# Capitals whose Spanish name differs from the English one.
CAPITAL_ES = {
    "London": "Londres", "Lisbon": "Lisboa", "Rome": "Roma", "Athens": "Atenas", "Moscow": "Moscú",
    "Warsaw": "Varsovia", "Prague": "Praga", "Vienna": "Viena", "Brussels": "Bruselas", "Copenhagen": "Copenhague",
    "Stockholm": "Estocolmo", "Berlin": "Berlín", "Paris": "París", "Beijing": "Pekín", "Tokyo": "Tokio",
    "Cairo": "El Cairo", "Mexico City": "Ciudad de México", "Bern": "Berna", "Dublin": "Dublín",
    "Bucharest": "Bucarest", "Kyiv": "Kiev", "Tehran": "Teherán", "Baghdad": "Bagdad", "New Delhi": "Nueva Delhi",
    "Seoul": "Seúl", "Havana": "La Habana", "Algiers": "Argel", "Riyadh": "Riad", "Jerusalem": "Jerusalén",
    "Damascus": "Damasco", "Singapore": "Singapur", "Belgrade": "Belgrado", "Tbilisi": "Tiflis",
    "Yerevan": "Ereván", "Baku": "Bakú", "Amsterdam": "Ámsterdam", "Brasília": "Brasilia",
    "Washington, D.C.": "Washington D. C.", "Reykjavik": "Reikiavik", "Tallinn": "Tallin", "Chișinău": "Chisináu",
    "Sofia": "Sofía", "Skopje": "Skopie", "Ljubljana": "Liubliana", "Luxembourg": "Luxemburgo",
    "Valletta": "La Valeta", "Amman": "Amán", "Kuwait City": "Ciudad de Kuwait", "Muscat": "Mascate",
    "Abu Dhabi": "Abu Dabi", "Sana'a": "Saná", "Kathmandu": "Katmandú", "Thimphu": "Timbu", "Dhaka": "Daca",
    "Hanoi": "Hanói", "Vientiane": "Vientián", "Phnom Penh": "Nom Pen", "Naypyidaw": "Naipyidó",
    "Jakarta": "Yakarta", "Taipei": "Taipéi", "Pyongyang": "Pionyang", "Ulaanbaatar": "Ulán Bator",
    "Tashkent": "Taskent", "Bishkek": "Biskek", "Dushanbe": "Dusambé", "Ashgabat": "Asjabad", "Tunis": "Túnez",
    "Tripoli": "Trípoli", "Khartoum": "Jartum", "Addis Ababa": "Adís Abeba", "Mogadishu": "Mogadiscio",
    "Djibouti": "Yibuti", "Yaoundé": "Yaundé", "Accra": "Acra", "Conakry": "Conakri",
    "Ouagadougou": "Uagadugú", "N'Djamena": "Yamena", "Nouakchott": "Nuakchot", "São Tomé": "Santo Tomé",
    "Port-au-Prince": "Puerto Príncipe", "Panama City": "Ciudad de Panamá", "Guatemala City": "Ciudad de Guatemala",
    "Port of Spain": "Puerto España", "Vatican City": "Ciudad del Vaticano", "Monaco": "Mónaco",
    "Andorra la Vella": "Andorra la Vieja",
}
SOUTH_AMERICA = set("AR BO BR CL CO EC GY PY PE SR UY VE".split())
CENTRAL_AMERICA = set("BZ CR SV GT HN NI PA".split())
CARIBBEAN = set("AG BS BB CU DM DO GD HT JM KN LC VC TT".split())
# Countries in two continents (the one most of it lies in first).
CONTINENTS = {"RU": ("Europe", "Asia"), "TR": ("Asia", "Europe"), "KZ": ("Asia", "Europe"),
              "GE": ("Asia", "Europe"), "AZ": ("Asia", "Europe")}
CONTINENT_ES = {"Africa": "África", "Asia": "Asia", "Europe": "Europa", "North America": "América del Norte",
                "South America": "América del Sur", "Oceania": "Oceanía"}
# Official languages (ISO 639) where the data is wrong or stale.
LANGUAGES = {
    "RS": ["sr"], "ME": ["cnr"], "MY": ["ms"], "CZ": ["cs"], "AF": ["ps", "prs"], "AZ": ["az"], "AM": ["hy"],
    "TM": ["tk"], "UZ": ["uz"], "TJ": ["tg"], "AR": ["es"], "AD": ["ca"], "BZ": ["en"], "LB": ["ar"],
    "CY": ["el", "tr"], "NO": ["no"], "CH": ["de", "fr", "it", "rm"], "PH": ["fil", "en"], "IL": ["he"],
    "ZA": ["af", "en", "nr", "nso", "st", "ss", "tn", "ts", "ve", "xh", "zu"], "FJ": ["en", "fj", "hif"],
    "MA": ["ar", "zgh"], "RW": ["rw", "en", "fr", "sw"], "PK": ["ur", "en"], "VA": ["it", "la"],
}
LANGUAGE_NAMES = {"cnr": ("Montenegrin", "montenegrino"), "prs": ("Dari", "darí"),
                  "hif": ("Fiji Hindi", "hindi de Fiyi")}  # names CLDR lacks
# Currencies (ISO 4217) where the data lists fund codes or a replaced currency.
CURRENCIES = {
    "CL": ["CLP"], "CH": ["CHF"], "US": ["USD"], "UY": ["UYU"], "BO": ["BOB"], "CU": ["CUP"], "HR": ["EUR"],
    "VE": ["VES"], "BY": ["BYN"], "ZM": ["ZMW"], "MR": ["MRU"], "ST": ["STN"], "ZW": ["ZWG", "USD"],
    "SL": ["SLE"], "SV": ["USD"], "HT": ["HTG"], "BG": ["EUR"], "VA": ["EUR"],
}
# Populations of the largest countries (rounded national or UN estimates for 2024): the data's are
# from about 2014 and some are off by a quarter or more.
POPULATION = {
    "IN": 1_451_000_000, "CN": 1_409_000_000, "US": 340_000_000, "ID": 282_000_000, "PK": 241_000_000,
    "NG": 230_000_000, "BR": 212_000_000, "BD": 172_000_000, "RU": 146_000_000, "MX": 131_000_000,
    "ET": 130_000_000, "JP": 124_000_000, "PH": 113_000_000, "EG": 107_000_000, "CD": 109_000_000,
    "VN": 101_000_000, "TR": 86_000_000, "DE": 84_000_000, "GB": 69_000_000, "FR": 68_000_000,
    "IT": 59_000_000, "ES": 49_000_000, "KR": 52_000_000, "CO": 53_000_000, "AR": 46_000_000,
    "DZ": 47_000_000, "IQ": 46_000_000, "UG": 46_000_000, "CA": 41_000_000, "PL": 37_000_000,
    "MA": 37_000_000, "SA": 35_000_000, "PE": 34_000_000, "MY": 34_000_000, "AU": 27_000_000, "VA": 800,
}


@dataclass(frozen=True)
class Country:
    """One country, as Jarvis says it."""

    code: str  # ISO 3166 alpha-2
    name_en: str  # as said in a sentence ("the United Kingdom")
    name_es: str  # likewise in Spanish ("el Reino Unido")
    capital: str
    continents: tuple[str, ...]  # English continent names
    area: str  # "Central America" / "the Caribbean" / ""
    languages: tuple[str, ...]
    currencies: tuple[str, ...]
    population: int


@dataclass(frozen=True)
class FactAnswer:
    """A matched country question and its answer sentence."""

    country: str  # the country's plain English name ("Portugal")
    code: str
    fact: str  # one of FACTS
    language: str  # "en" or "es"
    text: str


# ---------------------------------------------------------------------------------------------- loading
def key(name: str) -> str:
    """A name as looked up: accent-free lower case, no dots or hyphens, no leading article."""
    k = plain(name).replace("’", "'").replace("-", " ").replace(".", " ").replace("&", " and ")
    k = re.sub(r"\s+", " ", k).strip()
    return re.sub(r"^(?:the|el|la|los|las) ", "", k)


class CountryData:
    """Every country and the names it is called by (loaded once, see :func:`data`)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.countries: dict[str, Country] = {}
        names: dict[str, set[str]] = {}
        for row in rows:
            code = str((row.get("ISO") or {}).get("alpha2") or "").upper()
            if not code or code in NOT_COUNTRIES or code in self.countries:  # the first of two files wins
                continue
            country = _country(code, row)
            if country is None:
                continue
            self.countries[code] = country
            said = [row.get("name") or "", (row.get("translations") or {}).get("es") or "",
                    row.get("nativeName") or "", country.name_en, country.name_es,
                    *[s for s in row.get("altSpellings") or [] if len(s) > 3], *ALIASES.get(code, "").split("|")]
            for name in said:
                if name and key(name):
                    names.setdefault(key(name), set()).add(code)
        # a name two countries share ("Guinea" is not "Guinea-Bissau": both keep their own) is nobody's
        self.by_name = {n: next(iter(c)) for n, c in names.items() if len(c) == 1}
        # ISO codes ("PT", "PRT") only for the tool: in a question "it" or "no" is not a country
        self.by_code = {code: code for code in self.countries}
        for row in rows:
            iso = row.get("ISO") or {}
            if str(iso.get("alpha2") or "").upper() in self.countries and iso.get("alpha3"):
                self.by_code.setdefault(str(iso["alpha3"]).upper(), str(iso["alpha2"]).upper())

    def find(self, name: str, strict: bool = False) -> Country | None:
        """The country called ``name`` (English, Spanish, native, ISO code); ``strict`` refuses names that
        mean something else too ("Georgia")."""
        k = key(name)
        if strict and k in AMBIGUOUS:
            return None
        code = self.by_name.get(k) or (None if strict else self.by_code.get(name.strip().upper()))
        return self.countries.get(code) if code else None

    def suggest(self, name: str) -> list[str]:
        """Country names spelt like ``name``."""
        import difflib

        near = difflib.get_close_matches(key(name), list(self.by_name), n=3, cutoff=0.7)
        return list(dict.fromkeys(plain_name(self.countries[self.by_name[n]]) for n in near))


def _country(code: str, row: dict[str, Any]) -> Country | None:
    capital = CAPITAL.get(code) or row.get("capital")
    if isinstance(capital, list):
        capital = capital[0] if capital else ""
    region = row.get("region") or ""
    if not capital or not region:
        return None
    if code in CONTINENTS:
        continents = CONTINENTS[code]
    elif region == "Americas":
        continents = ("South America",) if code in SOUTH_AMERICA else ("North America",)
    else:
        continents = (region,)
    area = "Central America" if code in CENTRAL_AMERICA else "the Caribbean" if code in CARIBBEAN else ""
    name_en = NAME_EN.get(code) or str(row.get("name") or "")
    name_es = NAME_ES.get(code) or str((row.get("translations") or {}).get("es") or name_en)
    languages = LANGUAGES.get(code) or list(dict.fromkeys(row.get("languages") or []))
    currencies = CURRENCIES.get(code) or list(row.get("currencies") or [])
    population = POPULATION.get(code) or int(row.get("population") or 0)
    return Country(code, name_en, name_es, str(capital), tuple(continents), area, tuple(languages),
                   tuple(currencies), population)


@lru_cache(maxsize=1)
def data() -> CountryData:
    """The countries (read from the ``countryinfo`` package the first time; ~0.1 s).

    Raises :class:`ToolError` when the package is not installed.
    """
    try:
        folder = resources.files("countryinfo") / "data"
    except ModuleNotFoundError:
        raise ToolError("the country data is not installed", "run ./install.sh (it installs countryinfo)") from None
    rows = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            try:
                rows.append(json.loads(entry.read_text(encoding="utf-8")))
            except ValueError:
                log.warning("country data: %s is not JSON (skipped)", entry.name)
    return CountryData(rows)


def plain_name(country: Country) -> str:
    """The English name without its article ("United Kingdom")."""
    return re.sub(r"^the ", "", country.name_en)


# ---------------------------------------------------------------------------------------------- wording
def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _end(sentence: str) -> str:
    return sentence if sentence.endswith(".") else sentence + "."


def _de(name_es: str) -> str:
    """ "de" + a Spanish name, contracted ("del Reino Unido")."""
    return f"del {name_es[3:]}" if name_es.startswith("el ") else f"de {name_es}"


def _join(items: list[str], es: bool) -> str:
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {'y' if es else 'and'} {items[-1]}"


def _language_name(code: str, es: bool) -> str:
    if code in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[code][1 if es else 0]
    try:
        from babel import Locale

        name = Locale("es" if es else "en").languages.get(code)
    except ImportError:
        name = None
    return name or code


def _currency_name(code: str, es: bool) -> str:
    try:
        from babel.numbers import get_currency_name

        return get_currency_name(code, count=1, locale="es" if es else "en")
    except (ImportError, ValueError):
        return code


def _article_es(currency: str) -> str:
    """ "el" or "la" for a Spanish currency name (its adjective tells: "libra egipcia", "yen japonés")."""
    first, *rest = currency.split()
    for word in rest:
        if word.endswith("a"):
            return "la"
        if word.endswith("o"):
            return "el"
    return "la" if first.endswith("a") and first not in ("kwanza", "taka") else "el"


def about(n: int, es: bool) -> str:
    """A population said roughly: "about 47 million" / "unos 47 millones"."""
    if n >= 1_000_000_000:
        if es:
            return f"unos {round(n / 10_000_000) * 10} millones"
        return f"about {round(n / 1e9, 2):g} billion"
    if n >= 1_000_000:
        value = round(n / 1e6) if n >= 10_000_000 else round(n / 1e6, 1)
        shown = f"{value:g}".replace(".", "," if es else ".")
        return f"unos {shown} millones" if es else f"about {shown} million"
    value = round(n, -3) if n >= 10_000 else round(n, -2) if n >= 1000 else n
    shown = f"{value:,}".replace(",", "." if es else ",")
    return f"unos {shown}" if es else f"about {shown}"


def answer(country: Country, fact: str, language: str = "en") -> str:
    """The sentence that answers ``fact`` about ``country`` in English or Spanish."""
    es = language == "es"
    name = country.name_es if es else country.name_en
    if fact == "capital":
        if country.code in CAPITAL_NOTE:
            return CAPITAL_NOTE[country.code][1 if es else 0]
        if es:
            return _end(f"La capital {_de(name)} es {CAPITAL_ES.get(country.capital, country.capital)}")
        return _end(f"The capital of {name} is {country.capital}")
    if fact == "continent":
        where = _join([CONTINENT_ES[c] if es else c for c in country.continents], es)
        if country.area:
            if es:
                area = {"Central America": "Centroamérica", "the Caribbean": "el Caribe"}[country.area]
                return f"{_cap(name)} está en América, en {area}."
            return f"{_cap(name)} is in {where}, in {country.area}."
        return f"{_cap(name)} está en {where}." if es else f"{_cap(name)} is in {where}."
    if fact == "language":
        spoken = [_language_name(c, es) for c in country.languages]
        if not spoken:
            raise ToolError(f"country_facts: no official language on record for {plain_name(country)}", "")
        if es:
            said = _join([f"el {s}" for s in spoken], es)
            if len(spoken) == 1:
                return f"La lengua oficial {_de(name)} es {said}."
            return f"Las lenguas oficiales {_de(name)} son {said}."
        if len(spoken) == 1:
            return f"The official language of {name} is {spoken[0]}."
        return f"The official languages of {name} are {_join(spoken, es)}."
    if fact == "currency":
        money = [_currency_name(c, es) for c in country.currencies]
        if not money:
            raise ToolError(f"country_facts: no currency on record for {plain_name(country)}", "")
        if es:
            said = _join([f"{_article_es(m)} {m}" for m in money], es)
            return (f"La moneda {_de(name)} es {said}." if len(money) == 1
                    else f"Las monedas {_de(name)} son {said}.")
        said = _join([f"the {m}" for m in money], es)
        return f"The currency of {name} is {said}." if len(money) == 1 else f"The currencies of {name} are {said}."
    if fact == "population":
        if es:
            said = about(country.population, es)
            return f"{_cap(name)} tiene {said}{' de' if said.endswith('millones') else ''} habitantes."
        return f"{_cap(about(country.population, es))} people live in {name}."
    raise ToolError(f"country_facts: unknown fact '{fact}'", f"ask for one of: {', '.join(FACTS)}")


# ---------------------------------------------------------------------------------------------- questions
C = r"(?P<c>[a-z][a-z .'-]*?)"
_LATER = (r"(?: (?:today|now|right now|currently|nowadays|these days|hoy|hoy en dia|ahora|actualmente|"
          r"en la actualidad))?")
_OF = r"(?:de|del)"
_OF_EN = r"(?:of|on|in|for)"  # speech recognition hears "of" as "on" or "in": "What is the capital on France?"
PATTERNS_EN: dict[str, list[str]] = {
    "capital": [
        rf"(?:what|which)(?:'s|s| is) the (?:name of the )?capital(?: city)? {_OF_EN} {C}(?: called)?",
        rf"(?:what|which) city is the capital(?: city)? {_OF_EN} {C}",
        rf"what(?:'s|s| is) {C}(?:'s?)? capital(?: city)?(?: called)?",
        rf"(?:name )?(?:the )?capital(?: city)? {_OF_EN} {C}",
        rf"(?:what|which city) the capital(?: city)? {_OF_EN} {C} is",
    ],
    "continent": [
        rf"(?:which|what) continent (?:is|are) {C}(?: (?:in|on|located in|located on|part of|found in|situated in))?",
        rf"(?:which|what) continent does {C} (?:belong to|lie in|lie on|sit in|sit on|fall in)",
        rf"(?:in|on) (?:which|what) continent (?:is|are) {C}(?: located| situated| found)?",
        rf"(?:which|what) continent {C} is (?:in|on|located in|located on|part of)",
        rf"{C} is (?:in|on|part of) (?:which|what) continent",
        rf"what(?:'s|s| is) the continent of {C}",
    ],
    "language": [
        rf"(?:what|which) (?:official |main )?languages? (?:do|does) (?:they|people|the people|you|one|most people) "
        rf"speak in {C}",
        rf"(?:what|which) (?:official |main )?languages? (?:they|people) speak in {C}",
        rf"(?:what|which) (?:official |main )?languages? (?:is|are) (?:spoken|used) in {C}",
        rf"(?:what|which) (?:official |main )?languages? (?:do|does) {C} speak",
        rf"what(?:'s|s| is| are) the (?:official |main |national )?languages? (?:of|in|spoken in) {C}",
        rf"what(?:'s|s| is| are) {C}(?:'s?)? (?:official |main |national )?languages?",
        rf"what do (?:they|people) speak in {C}",
    ],
    "currency": [
        rf"what(?:'s|s| is) the (?:official |national |local )?currency (?:of|in|used in|called in) {C}",
        rf"(?:what|which) (?:currency|money) (?:does|do) {C} (?:use|have)",
        rf"(?:what|which) (?:currency|money) (?:do|does) (?:they|people|you|one) (?:use|pay with) in {C}",
        rf"(?:what|which) (?:currency|money) (?:they|people) use in {C}",
        rf"(?:what|which) (?:currency|money) is used in {C}",
        rf"what(?:'s|s| is) {C}(?:'s?)? (?:official |national )?currency",
        rf"what do (?:they|people|you) pay with in {C}",
    ],
    "population": [
        rf"how many (?:people|inhabitants|residents|citizens|persons) (?:live|are living|reside) in {C}{_LATER}",
        rf"how many (?:people|inhabitants|residents|citizens) are (?:there )?in {C}{_LATER}",
        rf"how many (?:people|inhabitants|residents|citizens) does {C} have{_LATER}",
        rf"what(?:'s|s| is) the (?:current |total )?population (?:of|in) {C}{_LATER}",
        rf"what(?:'s|s| is) {C}(?:'s?)? (?:current |total )?population{_LATER}",
        rf"how (?:big|large) is the population (?:of|in) {C}",
        rf"how populous is {C}",
        rf"(?:the )?population of {C}",
    ],
}
PATTERNS_ES: dict[str, list[str]] = {
    "capital": [
        rf"(?:cual|que) es la (?:ciudad )?capital {_OF} {C}",
        rf"(?:que|cual) ciudad es la capital {_OF} {C}",
        rf"como se llama la capital {_OF} {C}",
        rf"(?:la )?capital {_OF} {C}",
    ],
    "continent": [
        rf"(?:en|a|de) (?:que|cual) continente (?:esta|se encuentra|queda|se ubica|se situa|pertenece|es|se halla)"
        rf"(?: ubicad[oa]| situad[oa])? {C}",
        rf"{C} (?:esta|se encuentra|queda) en (?:que|cual) continente",
        rf"(?:cual|que) es el continente {_OF} {C}",
        rf"(?:cual|que) es el continente (?:en (?:el )?que|donde) (?:esta|se encuentra|queda) {C}",
        # as heard from unclear speech: the "en" lost, the word cut ("que continen esta chile")
        rf"(?:que|cual) contin\w* (?:esta|se encuentra|queda) {C}",
    ],
    "language": [
        rf"(?:que|cual|cuales) (?:idiomas?|lenguas?)(?: oficial(?:es)?)? (?:se habla|se hablan|hablan|habla la gente|"
        rf"se usa|se usan) en {C}",
        rf"(?:cual|que) es (?:el idioma|la lengua) (?:oficial )?{_OF} {C}",
        rf"(?:cuales|que) son (?:los idiomas|las lenguas) (?:oficiales )?{_OF} {C}",
        rf"(?:que|cual) (?:idiomas?|lenguas?) (?:habla|tiene) {C}",
        rf"que se habla en {C}",
        rf"en {C} (?:que|cual) (?:idioma|lengua) se habla",
        rf"(?:el )?idioma (?:oficial )?{_OF} {C}",
        # the verb misheard ("que idioma se haga en brasil"): "se <verb> en" still asks what is spoken there
        rf"(?:que|cual|cuales) (?:idiomas?|lenguas?)(?: oficial(?:es)?)? se \w+ en {C}",
    ],
    "currency": [
        rf"(?:cual|que) es la (?:moneda|divisa)(?: oficial| nacional| local)? (?:de|del|en|que se usa en|que usan en|"
        rf"que se utiliza en) {C}",
        rf"(?:que|cual) (?:moneda|divisa|dinero) (?:se usa|usan|se utiliza|utilizan|hay|circula) en {C}",
        rf"(?:que|cual) (?:moneda|divisa|dinero) (?:tiene|usa|utiliza) {C}",
        rf"con que (?:moneda|dinero) se paga en {C}",
        rf"(?:la )?moneda {_OF} {C}",
    ],
    "population": [
        rf"cuant(?:os|as) (?:habitantes|personas|ciudadanos|residentes) (?:tiene|hay en|viven en) {C}{_LATER}",
        rf"cuanta gente (?:vive en|hay en|tiene) {C}{_LATER}",
        rf"(?:cual|que) es la poblacion (?:actual |total )?{_OF} {C}{_LATER}",
        rf"cuanta poblacion (?:tiene|hay en) {C}{_LATER}",
        rf"(?:la )?poblacion {_OF} {C}",
    ],
}
_COMPILED = {
    lang: [(fact, re.compile(p)) for fact, ps in table.items() for p in ps]
    for lang, table in (("en", PATTERNS_EN), ("es", PATTERNS_ES))
}
# Cheap first look: the question names a fact at all (the data is loaded only then).
_FACT_WORDS = re.compile(
    r"capital|contin|language|speak|currenc|money|pay with|population|populous|people|inhabitants|residents|"
    r"citizens|persons|idioma|lengua|habla|moneda|divisa|dinero|poblacion|habitantes|personas|gente|ciudadanos"
)
_START = (r"^(?:(?:hey|hi|ok|okay|oye|hola|eh|so|and|y|pues|bueno|well) )*(?:jarvis )?")
_POLITE = re.compile(
    r"^(?:please |por favor |(?:can|could|would) you (?:please )?(?:tell me |say )?|tell me |do you know |"
    r"(?:i )?(?:want|wanna|would like|'d like|need) to know |i wonder |quick question |"
    r"dime |digame |me (?:puedes|podrias|puede|podria) decir |(?:puedes|podrias) decirme |me dices |"
    r"sabes |sabrias decirme |quiero saber |necesito saber |una pregunta |a ver )"
)


def _clean(text: str) -> str:
    t = plain(text).replace("’", "'").replace("´", "'")
    t = re.sub(r"[¿¡!?.;:,\"]+", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(_START, "", t)
    for _ in range(3):
        t2 = _POLITE.sub("", t).strip()
        if t2 == t:
            break
        t = t2
    return re.sub(r" (?:please|por favor|jarvis)$", "", t).strip()


def country_fact(question: str, language: str | None = None) -> FactAnswer | None:
    """The answer to a whole-sentence country question ("What is the capital of Portugal?", "¿En qué
    continente está Egipto?"), or None when it is anything else (the model answers those).

    ``language`` (the turn's, "en"/"es") picks the answer's language; without it the question's does.
    """
    t = _clean(question)
    if not t or len(t) > 120 or not _FACT_WORDS.search(t):
        return None
    for said, rules in _COMPILED.items():
        for fact, rx in rules:
            m = rx.fullmatch(t)
            if m is None:
                continue
            said_name = m.group("c")
            try:
                country = data().find(said_name, strict=True)
                if country is None and said_name.endswith("s"):  # "japans capital": whisper drops apostrophes
                    country = data().find(said_name[:-1], strict=True)
            except ToolError:
                log.warning("country facts are off: the countryinfo package is missing")
                return None
            if country is None:
                continue
            lang = language if language in ("en", "es") else said
            try:
                text = answer(country, fact, lang)
            except ToolError:
                return None
            return FactAnswer(plain_name(country), country.code, fact, lang, text)
    return None


# A question that only names another country after a country fact ("And of Italy?", "¿Y la de
# Italia?", "¿Y en Holanda?", "What about Peru?") asks the same fact again; "there" / "allí" stands for
# the country before ("What language do they speak there?"). Matched after _clean, which drops "and"/"y".
_ELLIPTIC = [re.compile(p) for p in (
    rf"(?:(?:what|how) about )?(?:(?:the one |the )?(?:of|in|for|on) )?{C}",
    rf"(?:que tal |que hay de |y )?(?:(?:(?:la|el|los|las) )?(?:de|del|en|para) )?{C}",
)]
_THERE = re.compile(r"\b(?:(?:in|en) )?(?:there|alli|ahi|alla)\b")


def follow_up_fact(question: str, language: str | None, previous: FactAnswer) -> FactAnswer | None:
    """The answer to a follow-up of the country question answered just before (``previous``), or None.

    "And of Italy?" after a capital asks Italy's capital; "What language do they speak there?" asks
    the previous country's language. A population asked with "there" is left to the model: after
    "The capital of France is Paris", "how many people live there" means Paris, not France.
    """
    t = _clean(question)
    if not t or len(t) > 80:
        return None
    lang = language if language in ("en", "es") else previous.language
    try:
        facts = data()
    except ToolError:
        return None
    for rx in _ELLIPTIC:
        m = rx.fullmatch(t)
        if m is None:
            continue
        country = facts.find(m.group("c"), strict=True)
        if country is not None:
            try:
                return FactAnswer(plain_name(country), country.code, previous.fact, lang,
                                  answer(country, previous.fact, lang))
            except ToolError:
                return None
    if _THERE.search(t):
        place = f"{'en' if lang == 'es' else 'in'} {previous.country.lower()}"
        again = country_fact(_THERE.sub(place, t), lang)
        if again is not None and again.fact != "population":
            return again
    return None


# ---------------------------------------------------------------------------------------------- the tool
FACT_WORDS = {
    "capital": "capital", "capital city": "capital", "continent": "continent", "continente": "continent",
    "region": "continent", "language": "language", "languages": "language", "official language": "language",
    "idioma": "language", "idiomas": "language", "lengua": "language", "currency": "currency", "currencies": "currency",
    "money": "currency", "moneda": "currency", "divisa": "currency", "population": "population",
    "people": "population", "inhabitants": "population", "poblacion": "population", "habitantes": "population",
}


class CountryFactsTool(Tool):
    """The capital, continent, official languages, currency or population of a country (offline data)."""

    name = "country_facts"
    keywords = (r"\b(capital|continent|continente|languages?|idiomas?|lenguas?|currency|currencies|moneda|divisa|"
                r"population|populous|poblacion|habitantes|inhabitants)\b")
    description = (
        "Look up a country's capital, continent, official language, currency or population. "
        "Use it for these facts about a country instead of answering from memory."
    )
    parameters = {
        "type": "object",
        "properties": {
            "country": {"type": "string", "description": "the country, in English or Spanish, e.g. Portugal or Japón"},
            "fact": {"type": "string", "description": "one of: capital, continent, language, currency, population"},
            "language": {"type": "string", "description": "the answer's language: en or es"},
        },
        "required": ["country", "fact"],
    }

    def is_relevant(self, text: str) -> bool:
        """A fact word and a country's name ("how much capital does a shop need" names no country)."""
        if re.search(self.keywords, text) is None:
            return False
        try:
            names = data().by_name
        except ToolError:
            return False
        words = re.findall(r"[a-z']+", text.replace("-", " "))
        return any(
            " ".join(words[i:i + n]) in names for n in range(1, 6) for i in range(len(words) - n + 1)
        )

    def run(self, args: dict[str, Any]) -> ToolResult:
        """The answer sentence; ``data`` holds the country, its code, the fact and the language."""
        name = str(args.get("country") or "").strip()
        asked = plain(str(args.get("fact") or "")).strip().replace("_", " ")
        fact = FACT_WORDS.get(asked) or FACT_WORDS.get(asked.rstrip("s"))
        if not name:
            raise ToolError("country_facts: no country given", "pass a country name, e.g. Portugal")
        if fact is None:
            raise ToolError(f"country_facts: unknown fact '{args.get('fact')}'", f"use one of: {', '.join(FACTS)}")
        country = data().find(name)
        if country is None:
            near = " or ".join(data().suggest(name))
            guess = f" (did you mean {near}?)" if near else ""  # in the message: a model sees only that
            raise ToolError(f"country_facts: unknown country '{name}'{guess}",
                            "give a sovereign country's name in English or Spanish, e.g. Portugal or Japón")
        lang = "es" if str(args.get("language") or "").lower().startswith("es") else "en"
        text = answer(country, fact, lang)
        return ToolResult(text, {"country": plain_name(country), "code": country.code, "fact": fact,
                                 "language": lang})
