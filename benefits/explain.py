"""One measure explained in plain words, and finding the measure a resident named.

`explanation` gives the lines the robot says for `benefits.explain`: the
summary, whether the measure likely applies to this resident and why (the
engine's reasons without their links), who grants it, how to apply, the
documents, and the agency-decides disclaimer. `benefit_names` gives the NLU
the names to listen for; `find_measure` matches free words against them.
"""

from __future__ import annotations

from datetime import date

from rapidfuzz import fuzz, process

from benefits import answers, speech
from benefits.catalog import Catalog
from benefits.engine import MeasureResult, check_measure
from benefits.facts import Profile
from benefits.model import Measure
from benefits.speech import phrase

# A fuzzy title match below this is not taken as the measure the resident meant.
TITLE_MATCH_CUTOFF = 60.0
# Words are compared by their first letters, so Russian endings do not matter.
STEM_LETTERS = 5


def explanation(
    catalog: Catalog, measure_id: str, profile: Profile, on: date, lang: str
) -> list[str]:
    """What to say about one measure, sentence groups in order."""
    result = check_measure(catalog, measure_id, profile, on)
    measure = result.measure
    lines = [f"{speech.spoken_title(measure, lang)}. {measure.summary.get(lang)}"]
    lines.append(_applies(result, lang))
    agency = speech.agency_lines(result.agency, lang, key="grants")
    if measure.how_to_apply.automatic:
        agency.append(phrase("explain_automatic", lang))
    else:
        ways = speech.channels(measure.how_to_apply.channels, lang)
        if ways:
            agency.append(phrase("channels", lang, channels=ways))
    lines.append(" ".join(agency))
    documents = [item.get(lang) for item in measure.how_to_apply.documents]
    if documents:
        lines.append(phrase("documents", lang, documents="; ".join(documents)))
    lines.append(phrase("disclaimer", lang))
    return lines


def _applies(result: MeasureResult, lang: str) -> str:
    if result.status == "unknown":
        if not result.missing:
            return phrase("explain_unknown_agency", lang)
        return phrase("explain_unknown", lang, facts=speech.fact_words(result.missing, lang))
    holds = result.status == "eligible"
    why = ". ".join(
        speech.spoken_reason(reason.text(lang))
        for reason in result.reasons
        if reason.holds is holds
    )
    key = "explain_likely" if holds else "explain_not"
    return phrase(key, lang, why=(why + ".") if why else "").strip()


def find_measure(catalog: Catalog, text: str, lang: str) -> str | None:
    """The measure whose title (or abbreviation) is nearest to what the resident said.

    Words are cut to their first letters before comparing, so that inflected forms
    ("компенсацию за жильё") still meet the title ("Компенсация ... на жильё").
    """
    words = _stems(text)
    if not words:
        return None
    choices: dict[str, str] = {}
    for measure in catalog.measures.values():
        for name in benefit_names_of(measure, lang):
            choices.setdefault(_stems(name), measure.id)
    best = process.extractOne(
        words, list(choices), scorer=fuzz.token_set_ratio, score_cutoff=TITLE_MATCH_CUTOFF
    )
    return choices[best[0]] if best is not None else None


def benefit_names_of(measure: Measure, lang: str) -> list[str]:
    """The full title, the title without bracketed notes, and its abbreviation ('ЕДВ')."""
    names = [
        measure.title.get(lang),
        speech.spoken_title(measure, lang),
        speech.bare_title(measure, lang),
        speech.short_name(measure, lang),
    ]
    return list(dict.fromkeys(names))


def _stems(text: str) -> str:
    return " ".join(word[:STEM_LETTERS] for word in answers.normalise(text).split())


def benefit_names(catalog: Catalog, lang: str) -> dict[str, list[str]]:
    """Names the NLU should recognise for each measure: {id: [title, short title, 'ЕДВ']}."""
    return {measure.id: benefit_names_of(measure, lang) for measure in catalog.measures.values()}
