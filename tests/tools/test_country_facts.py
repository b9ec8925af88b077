"""Country facts from offline data: the questions the instant path answers (English and Spanish), the
ones it leaves to the model, the tool a model calls, and the instant turn that speaks the answer."""

import pytest

from jarvis.tools.base import ToolError
from jarvis.tools.facts import CountryFactsTool, about, country_fact, data

# (question, language the answer is in, the answer sentence)
ANSWERED = [
    # capital
    ("What is the capital of Portugal?", "en", "The capital of Portugal is Lisbon."),
    ("what's the capital city of japan", "en", "The capital of Japan is Tokyo."),
    ("whats the capital of brazil", "en", "The capital of Brazil is Brasília."),
    ("Hey Jarvis, what is the capital of the UK?", "en", "The capital of the United Kingdom is London."),
    ("Can you tell me what the capital of Peru is?", "en", "The capital of Peru is Lima."),
    ("Which city is the capital of Australia?", "en", "The capital of Australia is Canberra."),
    ("What is Canada's capital?", "en", "The capital of Canada is Ottawa."),
    ("capital of Turkey", "en", "The capital of Turkey is Ankara."),
    ("What is the capital on France?", "en", "The capital of France is Paris."),  # "of" misheard (voice eval)
    ("what's the capital in spain", "en", "The capital of Spain is Madrid."),
    ("What is the capital of the US?", "en", "The capital of the United States is Washington, D.C."),
    ("Do you know the capital of Kazakhstan?", "en", "The capital of Kazakhstan is Astana."),
    ("what's the capital of the czech republic please", "en", "The capital of the Czech Republic is Prague."),
    ("¿Cuál es la capital de Portugal?", "es", "La capital de Portugal es Lisboa."),
    ("cual es la capital de portugal", "es", "La capital de Portugal es Lisboa."),
    ("Dime la capital de Mexico", "es", "La capital de México es Ciudad de México."),
    ("¿Cuál es la capital de Egipto?", "es", "La capital de Egipto es El Cairo."),
    ("¿Qué ciudad es la capital de China?", "es", "La capital de China es Pekín."),
    ("oye jarvis, ¿cuál es la capital del Reino Unido?", "es", "La capital del Reino Unido es Londres."),
    ("¿Cómo se llama la capital de Rusia?", "es", "La capital de Rusia es Moscú."),
    ("capital de Alemania", "es", "La capital de Alemania es Berlín."),
    ("¿Me puedes decir cuál es la capital de EEUU?", "es", "La capital de Estados Unidos es Washington D. C."),
    ("cual es la capital de japon", "es", "La capital de Japón es Tokio."),
    ("¿Cuál es la capital de Italia?", "es", "La capital de Italia es Roma."),
    ("La capital de Polonia", "es", "La capital de Polonia es Varsovia."),
    ("¿Cuál es la capital de Cuba?", "es", "La capital de Cuba es La Habana."),
    ("¿Cuál es la capital de Estados Unidos?", "es", "La capital de Estados Unidos es Washington D. C."),
    ("What is the capital of South Africa?", "en",
     "South Africa has three capitals: Pretoria (government), Cape Town (parliament) and Bloemfontein (courts)."),
    # continent
    ("Which continent is Egypt in?", "en", "Egypt is in Africa."),
    ("What continent is Brazil on?", "en", "Brazil is in South America."),
    ("which continent is russia in", "en", "Russia is in Europe and Asia."),
    ("On which continent is Australia located?", "en", "Australia is in Oceania."),
    ("What continent does Mexico belong to?", "en", "Mexico is in North America."),
    ("which continent is costa rica in", "en", "Costa Rica is in North America, in Central America."),
    ("¿En qué continente está Egipto?", "es", "Egipto está en África."),
    ("en que continente esta Turquia", "es", "Turquía está en Asia y Europa."),
    ("¿A qué continente pertenece Perú?", "es", "Perú está en América del Sur."),
    ("¿En qué continente se encuentra Japón?", "es", "Japón está en Asia."),
    ("¿Cuál es el continente en el que está Egipto?", "es", "Egipto está en África."),
    ("¿En qué continente está Cuba?", "es", "Cuba está en América, en el Caribe."),
    ("Portugal está en qué continente", "es", "Portugal está en Europa."),
    ("que continen esta chile.", "es", "Chile está en América del Sur."),  # as whisper heard espeak-ng (voice eval)
    # language
    ("What language do they speak in Brazil?", "en", "The official language of Brazil is Portuguese."),
    ("Que idioma se haga en Brasil.", "es", "La lengua oficial de Brasil es el portugués."),  # "habla" misheard
    ("What languages are spoken in Switzerland?", "en",
     "The official languages of Switzerland are German, French, Italian and Romansh."),
    ("What is the official language of Egypt?", "en", "The official language of Egypt is Arabic."),
    ("which language do people speak in japan", "en", "The official language of Japan is Japanese."),
    ("What language does Mexico speak?", "en", "The official language of Mexico is Spanish."),
    ("What is Belgium's official language?", "en",
     "The official languages of Belgium are Dutch, French and German."),
    ("¿Qué idioma se habla en Brasil?", "es", "La lengua oficial de Brasil es el portugués."),
    ("que idioma hablan en Holanda", "es", "La lengua oficial de los Países Bajos es el neerlandés."),
    ("¿Cuáles son los idiomas oficiales de Suiza?", "es",
     "Las lenguas oficiales de Suiza son el alemán, el francés, el italiano y el romanche."),
    ("¿Cuál es la lengua oficial de Grecia?", "es", "La lengua oficial de Grecia es el griego."),
    ("¿Qué lengua se habla en Irán?", "es", "La lengua oficial de Irán es el persa."),
    ("¿Qué idiomas se hablan en Canadá?", "es", "Las lenguas oficiales de Canadá son el inglés y el francés."),
    # currency
    ("What currency does Japan use?", "en", "The currency of Japan is the Japanese yen."),
    ("What is the currency of Mexico?", "en", "The currency of Mexico is the Mexican peso."),
    ("What currency do they use in Croatia?", "en", "The currency of Croatia is the euro."),
    ("what currency does the uk use", "en", "The currency of the United Kingdom is the British pound."),
    ("What's Switzerland's currency?", "en", "The currency of Switzerland is the Swiss franc."),
    ("what money do they use in venezuela", "en", "The currency of Venezuela is the Venezuelan bolívar."),
    ("¿Cuál es la moneda de Japón?", "es", "La moneda de Japón es el yen japonés."),
    ("¿Qué moneda se usa en el Reino Unido?", "es", "La moneda del Reino Unido es la libra esterlina."),
    ("¿Qué moneda usan en Portugal?", "es", "La moneda de Portugal es el euro."),
    ("¿Cuál es la moneda de Panamá?", "es",
     "Las monedas de Panamá son el balboa panameño y el dólar estadounidense."),
    ("¿Qué moneda tiene la India?", "es", "La moneda de India es la rupia india."),
    ("¿Con qué moneda se paga en Bulgaria?", "es", "La moneda de Bulgaria es el euro."),
    # population
    ("How many people live in Spain?", "en", "About 49 million people live in Spain."),
    ("What is the population of India?", "en", "About 1.45 billion people live in India."),
    ("How many people does Portugal have?", "en", "About 10 million people live in Portugal."),
    ("what's the population of iceland", "en", "About 328,000 people live in Iceland."),
    ("¿Cuántos habitantes tiene España?", "es", "España tiene unos 49 millones de habitantes."),
    ("cuantos habitantes tiene china", "es", "China tiene unos 1410 millones de habitantes."),
    ("¿Cuánta gente vive en México?", "es", "México tiene unos 131 millones de habitantes."),
    ("¿Cuál es la población de Mónaco?", "es", "Mónaco tiene unos 37.000 habitantes."),
    ("¿Cuántas personas viven en Francia?", "es", "Francia tiene unos 68 millones de habitantes."),
]

LEFT_TO_THE_MODEL = [
    "What is the capital of France's economy?",
    "Tell me about Portugal",
    "Capital punishment in Japan",
    "What is the capital of California?",
    "the capital of California",
    "What is the capital of Texas?",
    "What is the capital of Catalonia?",
    "¿Cuál es la capital de Andalucía?",
    "¿Cuál es la capital de Cataluña?",
    "What is the capital of Georgia?",  # the US state or the country
    "¿Cuál es la capital de Granada?",
    "What's the capital of Congo?",
    "What is the capital of Paris?",
    "How many people live in Madrid?",
    "How many people live in my house?",
    "What is its capital?",
    "How many people live in it?",
    "What language do they speak in the office?",
    "What language should I learn?",
    "What is the best programming language?",
    "What currency should I invest in?",
    "How much capital do I need to open a shop?",
    "Which continent is the biggest?",
    "What is the population of the world?",
    "What is the population of Europe?",
    "¿Cuántos continentes hay?",
    "¿Qué idioma es más difícil?",
    "Háblame de Portugal",
    "¿Cuál es la capital mundial del café?",
    "What is the capital of Spain and Portugal?",
    "Why is Lisbon the capital of Portugal?",
    "Was Rio de Janeiro the capital of Brazil?",
    "What was the capital of Japan before Tokyo?",
    "What is the largest city in Australia?",
    "What is the capital letter of A?",
    "How many people speak Spanish?",
    "Which currency is stronger, the euro or the dollar?",
    "What time is it in Japan?",
    "",
]


@pytest.mark.parametrize(("question", "language", "expected"), ANSWERED)
def test_a_country_question_is_answered_from_the_data(question, language, expected):
    found = country_fact(question)
    assert found is not None, question
    assert (found.language, found.text) == (language, expected)


@pytest.mark.parametrize("question", LEFT_TO_THE_MODEL)
def test_anything_else_is_left_to_the_model(question):
    assert country_fact(question) is None


def test_the_turn_language_picks_the_answer_language():
    assert country_fact("What is the capital of Portugal?", "es").text == "La capital de Portugal es Lisboa."
    assert country_fact("¿Cuál es la capital de Portugal?", "en").text == "The capital of Portugal is Lisbon."
    assert country_fact("¿Cuál es la capital de Portugal?", "fr").language == "es"


def test_the_data_corrections_hold():
    countries = data().countries
    assert len(countries) == 196  # UN members, the Vatican, Palestine, Taiwan; no territories
    assert {"PR", "GL", "HK", "GI"}.isdisjoint(countries)
    assert countries["EG"].continents == ("Africa",)
    assert countries["RS"].languages == ("sr",) and countries["HR"].currencies == ("EUR",)
    assert countries["CZ"].languages == ("cs",) and countries["CH"].currencies == ("CHF",)
    for country in countries.values():  # every country is found by its own English name
        assert data().find(country.name_en) is country


def test_populations_are_said_roughly():
    assert about(46_507_760, False) == "about 47 million"
    assert about(5_470_437, True) == "unos 5,5 millones"
    assert about(1_451_000_000, True) == "unos 1450 millones"
    assert about(328_170, False) == "about 328,000"


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ({"country": "Japón", "fact": "capital", "language": "es"}, "La capital de Japón es Tokio."),
        ({"country": "PRT", "fact": "currency"}, "The currency of Portugal is the euro."),
        ({"country": "Georgia", "fact": "capital"}, "The capital of Georgia is Tbilisi."),
        ({"country": "kenya", "fact": "languages"}, "The official languages of Kenya are English and Swahili."),
        ({"country": "Egypt", "fact": "continente", "language": "es"}, "Egipto está en África."),
    ],
)
def test_the_tool_answers_a_model(args, text):
    assert CountryFactsTool().run(args).text == text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({"country": "Atlantis", "fact": "capital"}, "unknown country 'Atlantis'"),
        ({"country": "Portugall", "fact": "capital"}, "did you mean Portugal?"),
        ({"country": "California", "fact": "capital"}, "unknown country 'California'"),
        ({"country": "Japan", "fact": "weather"}, "unknown fact 'weather'"),
        ({"country": "", "fact": "capital"}, "no country given"),
    ],
)
def test_the_tool_says_what_was_wrong_in_one_line(args, says):
    with pytest.raises(ToolError) as caught:
        CountryFactsTool().run(args)
    assert says in caught.value.message and "\n" not in caught.value.one_line() and caught.value.hint


def test_a_bad_call_through_the_executor_is_an_error_line_not_a_traceback():
    from jarvis.messages import ToolCall
    from jarvis.tools.executor import ToolExecutor
    from jarvis.tools.registry import ToolRegistry

    executor = ToolExecutor(ToolRegistry([CountryFactsTool()]), 5.0, 1e9)
    use, result = executor.run(ToolCall("country_facts", {"country": "Narnia", "fact": "capital"}))
    assert not use.ok and result is None
    assert use.result.startswith("error: country_facts: unknown country 'Narnia'") and "\n" not in use.result
    use, _ = executor.run(ToolCall("country_facts", {"fact": "capital"}))
    assert not use.ok and "country" in use.result


def test_models_are_offered_the_tool_only_when_a_country_is_named():
    tool = CountryFactsTool()
    assert tool.is_relevant("compare the population of spain and portugal")
    assert tool.is_relevant("que moneda usan en japon y en china")
    assert not tool.is_relevant("how much capital do i need to open a shop")
    assert not tool.is_relevant("tell me about portugal")


@pytest.fixture(scope="module")
def toolbox(tmp_path_factory):
    from jarvis.config import load_settings
    from jarvis.tools.toolbox import Toolbox

    settings = load_settings(None)
    data_dir = tmp_path_factory.mktemp("data")
    return Toolbox(settings.model_copy(update={"general": settings.general.model_copy(update={"data_dir": data_dir})}))


@pytest.mark.parametrize(
    ("text", "language", "spoken"),
    [
        ("¿Cuál es la capital de Portugal?", "es", "La capital de Portugal es Lisboa."),
        ("What is the capital of Portugal?", "en", "The capital of Portugal is Lisbon."),
        ("¿En qué continente está Egipto?", "es", "Egipto está en África."),
    ],
)
def test_the_instant_path_speaks_the_answer_without_a_model(toolbox, text, language, spoken):
    from jarvis.messages import Transcript
    from jarvis.pipeline.tool_turn import instant_answer

    intent = toolbox.match(text, language)
    assert intent is not None and intent.kind == "fact" and intent.call.name == "country_facts"
    published = []
    said, uses = instant_answer(toolbox, intent, Transcript(text, language), published.append)
    assert said == spoken and [u.name for u in uses] == ["country_facts"] and uses[0].ok and published


def test_the_instant_path_leaves_other_questions_and_commands_alone(toolbox):
    assert toolbox.match("What is the capital of California?", "en") is None
    assert toolbox.match("What time is it?", "en").kind == "time"  # the everyday commands come first


def test_a_model_call_is_worded_in_the_turn_language(toolbox):
    from jarvis.messages import ToolCall

    call = toolbox.with_language(ToolCall("country_facts", {"country": "Japan", "fact": "capital"}), "es")
    assert call.arguments["language"] == "es"
    assert "country_facts" in {s["function"]["name"] for s in toolbox.schemas(request="¿Cuál es la moneda de Japón?")}


@pytest.mark.parametrize(
    ("first", "then", "said"),
    [
        ("What is the capital of Spain?", "And of Italy?", "The capital of Italy is Rome."),
        ("What is the capital of Spain?", "Italy?", "The capital of Italy is Rome."),
        ("What is the currency of Japan?", "What about Mexico?", "The currency of Mexico is the Mexican peso."),
        ("¿Cuál es la capital de Francia?", "¿Y la de Italia?", "La capital de Italia es Roma."),
        ("¿Qué idioma se habla en Japón?", "¿Y en Holanda?", "La lengua oficial de los Países Bajos es el neerlandés."),
        ("What is the capital of Japan?", "What language do people speak there?",
         "The official language of Japan is Japanese."),
        ("¿Cuál es la capital de Japón?", "¿Y qué moneda usan allí?", "La moneda de Japón es el yen japonés."),
    ],
)
def test_a_follow_up_asks_the_fact_before_again(toolbox, first, then, said):
    from jarvis.tools.facts import follow_up_fact

    language = "es" if first.startswith("¿") else "en"
    before = toolbox.match(first, language)
    assert before is not None and toolbox.match(then, language) is None  # alone it is not a fact question
    intent = toolbox.match(then, language, after=before.details["fact"])
    assert intent is not None and intent.call.name == "country_facts"
    assert follow_up_fact(then, language, before.details["fact"]).text == said


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("What is the capital of France?", "And how many people live there, roughly?"),  # there = Paris, not France
        ("¿Cuál es la capital de Alemania?", "¿Y cuántos habitantes tiene, más o menos?"),
        ("What is the capital of Spain?", "And for iron?"),
        ("What is the capital of Spain?", "And a pivotly."),
        ("What is the capital of Spain?", "And what about tomorrow?"),
        ("What is the capital of Spain?", "Georgia?"),  # the state or the country: not said
    ],
)
def test_a_follow_up_that_is_not_a_country_fact_is_left_to_the_model(toolbox, first, then):
    language = "es" if first.startswith("¿") else "en"
    before = toolbox.match(first, language)
    assert before is not None and toolbox.match(then, language, after=before.details["fact"]) is None
