"""What the robot says about benefits, in plain words for an elderly listener (ru, en).

Short sentences, one question at a time, and each question says how to answer
it. Conditions from the engine are said without their sources and links
(those stay in the written reasons); titles lose their parenthesised notes
but keep abbreviations people know ("ЕДВ").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from benefits.answers import IncomeBand
from benefits.facts import Between, FactValue
from benefits.model import Agency, Channel, Measure
from benefits.wording import TITLE_WORDS

PHRASES: dict[str, tuple[str, str]] = {
    "intro": (
        "Я задам несколько коротких вопросов. Если не знаете ответ, скажите: не знаю.",
        "I will ask a few short questions. If you do not know an answer, say: I don't know.",
    ),
    "readback": ("Я помню ваши ответы. {facts}.", "I remember your answers. {facts}."),
    "readback_question": (
        "Всё верно? Скажите: да, исправить или удалить.",
        "Is that right? Say: yes, change, or delete.",
    ),
    "ask_again": ("Хорошо, спрошу заново.", "All right, I will ask again."),
    "deleted": (
        "Я удалил ваши ответы. Если захотите узнать о льготах, спросите меня снова.",
        "I have deleted your answers. Ask me about benefits again any time.",
    ),
    "cancelled": (
        "Хорошо, закончим. Если захотите, спросите меня о льготах снова.",
        "All right, let us stop. Ask me about benefits again any time.",
    ),
    "skipped": ("Хорошо, пропустим.", "All right, let us skip it."),
    "no_catalog": (
        "Извините, у меня пока нет списка льгот. Спросите социального работника.",
        "Sorry, I do not have the list of benefits yet. Please ask your social worker.",
    ),
    "likely": (
        "Скорее всего, вам положено вот что. {titles}.",
        "You are likely entitled to these. {titles}.",
    ),
    "automatic": (
        "Без заявления, автоматически, назначают: {titles}.",
        "These are granted automatically, without an application: {titles}.",
    ),
    "check": ("Нужно уточнить: {items}.", "These need checking: {items}."),
    "check_item": ("{title} — решит {facts}", "{title}: it depends on {facts}"),
    "check_item_agency": ("{title} — уточните в ведомстве", "{title}: ask the agency"),
    "nothing": (
        "По вашим ответам я не нашёл подходящих мер поддержки.",
        "From your answers I found no support measures that fit.",
    ),
    "where": ("Куда обращаться: {agency}.", "Where to go: {agency}."),
    "phone": ("Телефон: {phone}.", "Phone: {phone}."),
    "channels": ("Заявление можно подать {channels}.", "You can apply {channels}."),
    "disclaimer": (
        "Это только предварительная оценка. Решение принимает ведомство.",
        "This is only a first estimate. The agency decides.",
    ),
    "offer_booking": (
        "Хотите, я попрошу социального работника записать вас на приём: {agency}? "
        "Скажите: да или нет.",
        "Shall I ask the social worker to book you an appointment with {agency}? Say: yes or no.",
    ),
    "booking_sent": (
        "Хорошо. Я передал просьбу. Социальный работник свяжется с вами.",
        "All right. I have passed on your request. The social worker will contact you.",
    ),
    "booking_declined": ("Хорошо, записывать не буду.", "All right, no appointment."),
    "consent": (
        "Сохранить ваши ответы, чтобы не спрашивать снова? Скажите: да или нет.",
        "Shall I save your answers so I do not ask again? Say: yes or no.",
    ),
    "saved": ("Хорошо, я сохранил ответы.", "All right, I have saved your answers."),
    "not_saved": ("Хорошо, не сохраняю.", "All right, I will not save them."),
    "finish": (
        "Чтобы узнать подробнее об одной мере, скажите, например: расскажи про {example}.",
        "To hear more about one measure, say for example: tell me about {example}.",
    ),
    "unknown_measure": (
        "Я не нашёл такую меру поддержки. Спросите, например: расскажи про {example}.",
        "I did not find that measure. Ask for example: tell me about {example}.",
    ),
    "explain_likely": (
        "Вам это, скорее всего, положено. {why}",
        "You are likely entitled to it. {why}",
    ),
    "explain_not": (
        "По тому, что я знаю, вам это, скорее всего, не положено. {why}",
        "From what I know, you are likely not entitled to it. {why}",
    ),
    "explain_unknown": (
        "Положено ли это вам, пока неясно. Нужно знать: {facts}.",
        "Whether it applies to you is not clear yet. We need: {facts}.",
    ),
    "explain_unknown_agency": (
        "Положено ли это вам, пока неясно: уточните в ведомстве.",
        "Whether it applies to you is not clear yet: ask the agency.",
    ),
    "grants": ("Назначает: {agency}.", "Granted by: {agency}."),
    "explain_automatic": (
        "Назначается автоматически, заявление обычно не нужно.",
        "It is granted automatically; usually no application is needed.",
    ),
    "documents": ("Понадобятся: {documents}.", "You will need: {documents}."),
    "reask_yes_no": ("Скажите, пожалуйста: да или нет.", "Please say: yes or no."),
}

QUESTIONS: dict[str, tuple[str, str]] = {
    "birth_date": (
        "В каком году вы родились? Можно просто сказать, сколько вам лет.",
        "What year were you born? You can also just say how old you are.",
    ),
    "region": ("Вы живёте {region}? Скажите: да или нет.", "Do you live {region}? Say: yes or no."),
    "disability_group": (
        "У вас есть группа инвалидности? Скажите: первая, вторая, третья, или нет.",
        "Do you have a disability group? Say: first, second, third, or no.",
    ),
    "disabled_child": (
        "Это вопрос о ребёнке. Человеку меньше восемнадцати лет, и у него есть инвалидность? "
        "Скажите: да или нет.",
        "A question about a child. Is the person under eighteen and disabled? Say: yes or no.",
    ),
    "per_capita_income_rub": (
        "Сколько денег в месяц приходится на одного человека в вашей семье? "
        "Пенсия тоже считается. Скажите: {bands}.",
        "How much money a month is there for each person in your household? "
        "Your pension counts too. Say: {bands}.",
    ),
    "receives_insurance_pension": (
        "Вы получаете обычную пенсию по старости или по инвалидности, за годы работы? "
        "Скажите: да или нет.",
        "Do you get an ordinary old-age or disability pension from your years of work? "
        "Say: yes or no.",
    ),
    "titles": (
        "Вы ветеран труда? Скажите: да или нет.",
        "Are you a veteran of labour? Say: yes or no.",
    ),
    "needs_help_at_home": (
        "Вам трудно справляться по дому самостоятельно, нужна помощь? Скажите: да или нет.",
        "Is it hard for you to manage at home, do you need help? Say: yes or no.",
    ),
    "has_ipra": (
        "У вас есть программа реабилитации, ИПРА? Её дают вместе с инвалидностью. "
        "Скажите: да или нет.",
        "Do you have a rehabilitation programme, the IPRA? It comes with a disability. "
        "Say: yes or no.",
    ),
    "receives_edv": (
        "Вы уже получаете ежемесячную денежную выплату, ЕДВ, от Социального фонда? "
        "Скажите: да или нет.",
        "Do you already get the monthly cash payment, EDV, from the Social Fund? Say: yes or no.",
    ),
}

REASKS: dict[str, tuple[str, str]] = {
    "birth_date": (
        "Скажите год рождения, например: тысяча девятьсот сорок шестой. Или: мне восемьдесят.",
        "Say the year, for example: nineteen forty six. Or: I am eighty.",
    ),
    "disability_group": (
        "Скажите номер группы: первая, вторая или третья. Если группы нет, скажите: нет.",
        "Say the group: first, second or third. If you have none, say: no.",
    ),
    "per_capita_income_rub": ("Скажите: {bands}. Или: не знаю.", "Say: {bands}. Or: I don't know."),
}

# Where a region is, said after "Вы живёте" / "Do you live".
REGION_PLACES: dict[str, tuple[str, str]] = {
    "RU-PER": ("в Пермском крае", "in Perm Krai"),
    "RU-MOW": ("в Москве", "in Moscow"),
    "RU-SPE": ("в Санкт-Петербурге", "in Saint Petersburg"),
    "RU-SVE": ("в Свердловской области", "in Sverdlovsk Oblast"),
    "RU-MOS": ("в Московской области", "in Moscow Oblast"),
}

CHANNEL_WORDS: dict[Channel, tuple[str, str]] = {
    "automatic": ("", ""),
    "mfc": ("в МФЦ", "at the MFC"),
    "gosuslugi": ("через Госуслуги", "through Gosuslugi"),
    "agency_office": ("в отделении ведомства", "at the agency's office"),
    "post": ("по почте", "by post"),
    "phone": ("по телефону", "by phone"),
    "home_visit": ("дома, при визите специалиста", "at home, when a specialist visits"),
}

FACT_WORDS: dict[str, tuple[str, str]] = {
    "birth_date": ("дата рождения", "your date of birth"),
    "age": ("ваш возраст", "your age"),
    "region": ("где вы живёте", "where you live"),
    "disability_group": ("группа инвалидности", "your disability group"),
    "disabled_child": ("инвалидность у ребёнка", "a child's disability"),
    "per_capita_income_rub": ("доход на человека", "income per person"),
    "receives_insurance_pension": ("пенсия за годы работы", "a pension from years of work"),
    "titles": ("звание ветерана труда", "the veteran of labour title"),
    "needs_help_at_home": ("нужна помощь дома", "help needed at home"),
    "has_ipra": ("есть программа реабилитации", "a rehabilitation programme"),
    "receives_edv": ("получаете ли вы ЕДВ", "whether you get the EDV"),
}

RATE_SCALE = 0.9


def phrase(key: str, lang: str, **values: object) -> str:
    ru, en = PHRASES[key]
    return (ru if lang == "ru" else en).format(**values)


def pick(pair: tuple[str, str], lang: str, **values: object) -> str:
    return (pair[0] if lang == "ru" else pair[1]).format(**values)


def question(fact: str, lang: str, *, region: str = "", bands: Sequence[IncomeBand] = ()) -> str:
    return pick(QUESTIONS[fact], lang, region=place(region, lang), bands=band_choices(bands, lang))


def reask(fact: str, lang: str, bands: Sequence[IncomeBand] = ()) -> str:
    if fact in REASKS:
        return pick(REASKS[fact], lang, bands=band_choices(bands, lang))
    return phrase("reask_yes_no", lang)


def place(region: str, lang: str) -> str:
    if region in REGION_PLACES:
        return pick(REGION_PLACES[region], lang)
    return ("в регионе " if lang == "ru" else "in region ") + region


def band_choices(bands: Sequence[IncomeBand], lang: str) -> str:
    said = [band.text(lang) for band in bands]
    if len(said) < 2:
        return "".join(said)
    joiner = " или " if lang == "ru" else " or "
    return ", ".join(said[:-1]) + joiner + said[-1]


_PARENTHESES = re.compile(r"\s*\(([^)]*)\)")


def spoken_title(measure: Measure, lang: str) -> str:
    """The title without bracketed notes, keeping abbreviations: 'Набор социальных услуг (НСУ)'."""
    return _PARENTHESES.sub(_keep_abbreviation, measure.title.get(lang)).strip()


def _keep_abbreviation(match: re.Match[str]) -> str:
    inner = match.group(1)
    return f" ({inner})" if inner.isalpha() and inner.isupper() and len(inner) <= 6 else ""


def bare_title(measure: Measure, lang: str) -> str:
    """The title without anything in brackets: 'Набор социальных услуг'."""
    return _PARENTHESES.sub("", measure.title.get(lang)).strip()


def short_name(measure: Measure, lang: str) -> str:
    """An abbreviation when the title has one ('ЕДВ'), else the spoken title."""
    for inner in _PARENTHESES.findall(measure.title.get(lang)):
        if inner.isalpha() and inner.isupper() and len(inner) <= 6:
            return str(inner)
    return spoken_title(measure, lang)


def sentences(items: Iterable[str]) -> str:
    """Each item its own short sentence: easier to follow than one long list."""
    return ". ".join(item for item in items if item)


def listing(items: Iterable[str], lang: str) -> str:
    said = [item for item in items if item]
    if len(said) < 2:
        return "".join(said)
    return "; ".join(said[:-1]) + ("; и " if lang == "ru" else "; and ") + said[-1]


def fact_words(facts: Iterable[str], lang: str) -> str:
    words = list(dict.fromkeys(pick(FACT_WORDS[fact], lang) for fact in facts))
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + (" и " if lang == "ru" else " and ") + words[-1]


def channels(items: Iterable[Channel], lang: str) -> str:
    said = [pick(CHANNEL_WORDS[item], lang) for item in dict.fromkeys(items)]
    return ", ".join(item for item in said if item)


def agency_name(agency: Agency, lang: str) -> str:
    """The agency's name without notes in brackets ('(территориальные отделы)')."""
    return _PARENTHESES.sub(_keep_abbreviation, agency.name.get(lang)).strip()


def agency_lines(agency: Agency, lang: str, key: str = "where") -> list[str]:
    lines = [phrase(key, lang, agency=agency_name(agency, lang))]
    if agency.phone:
        lines.append(phrase("phone", lang, phone=agency.phone))
    return lines


_BRACKETS = re.compile(r"\s*\[[^\]]*\]")


def spoken_reason(text: str) -> str:
    """A reason line without its bracketed source ('[... источник: https://...]'), capitalised."""
    text = _BRACKETS.sub("", text).strip()
    return text[:1].upper() + text[1:]


def spoken_fact(fact: str, value: FactValue, lang: str) -> str:  # noqa: PLR0911
    """One saved answer, read back: 'год рождения: 1946', 'группа инвалидности: вторая'."""
    ru = lang == "ru"
    if fact == "birth_date":
        if isinstance(value, Between) and isinstance(value.low, date):
            if isinstance(value.high, date) and value.low.year != value.high.year:
                years = f"{value.low.year}–{value.high.year}"
                return f"год рождения: {years}" if ru else f"born in {years}"
            return f"год рождения: {value.low.year}" if ru else f"born in {value.low.year}"
        if isinstance(value, date):
            return ("дата рождения: " if ru else "born ") + spoken_date(value, lang)
    if fact == "region" and isinstance(value, str):
        return ("вы живёте " if ru else "you live ") + place(value, lang)
    if fact == "disability_group":
        if value is None:
            return "группы инвалидности нет" if ru else "no disability group"
        names = {1: ("первая", "first"), 2: ("вторая", "second"), 3: ("третья", "third")}
        if isinstance(value, int) and value in names:
            return ("группа инвалидности: " if ru else "disability group: ") + pick(
                names[value], lang
            )
    if fact == "per_capita_income_rub":
        return ("доход на человека: " if ru else "income per person: ") + _money(value, lang)
    if fact == "titles" and isinstance(value, tuple):
        if not value:
            return "званий нет" if ru else "no titles"
        return ", ".join(pick(TITLE_WORDS.get(title, (title, title)), lang) for title in value)
    if isinstance(value, bool):
        label = pick(FACT_WORDS[fact], lang)
        return f"{label}: {'да' if ru else 'yes'}" if value else f"{label}: {'нет' if ru else 'no'}"
    return f"{pick(FACT_WORDS[fact], lang)}: {value}"


_MONTHS = (
    ("января", "January"), ("февраля", "February"), ("марта", "March"), ("апреля", "April"),
    ("мая", "May"), ("июня", "June"), ("июля", "July"), ("августа", "August"),
    ("сентября", "September"), ("октября", "October"), ("ноября", "November"),
    ("декабря", "December"),
)  # fmt: skip


def spoken_date(value: date, lang: str) -> str:
    """'1 мая 1946 года', '1 May 1946': how a date is read aloud (not ISO)."""
    month = pick(_MONTHS[value.month - 1], lang)
    return f"{value.day} {month} {value.year}" + (" года" if lang == "ru" else "")


def _money(value: FactValue, lang: str) -> str:
    ru = lang == "ru"

    def thousands(amount: object) -> str:
        assert isinstance(amount, Decimal | int)
        text = f"{Decimal(amount) / 1000:f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if ru else text

    unit = " тысяч" if ru else " thousand"
    if isinstance(value, Between):
        if value.low is None:
            return ("меньше " if ru else "less than ") + thousands(value.high) + unit
        if value.high is None:
            return ("больше " if ru else "more than ") + thousands(value.low) + unit
        low, high = thousands(value.low), thousands(value.high)
        return (f"от {low} до {high}" if ru else f"{low} to {high}") + unit
    return thousands(value) + unit
