"""Benefits pages: the agency's catalog (measures, agencies) with editing, and a resident's
benefits (their profile, what they may be entitled to and why, their appointment requests).

An editor changes a measure's title, summary and eligibility rule (JSON in a textarea);
the whole catalog is checked before it is saved, and a refusal is shown on the form in
the library's words, with what the editor typed kept. A saved change is the catalog's
next version and goes to the agency's rented robots at once (`fleet.config_sync`).
The pages' words live here, in both languages, beside the pages that use them.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from benefits import FACTS
from fleet.api.deps import RESIDENT_EDITORS
from fleet.api.routers.benefits import (
    CATALOG_EDITORS,
    eligibility,
    measure_summaries,
    save_catalog_change,
    sync_resident_benefits,
)
from fleet.context import FleetContext
from fleet.store import benefits as store
from fleet.store.common import ConflictError, InvalidChangeError
from fleet.store.residents import get_resident
from fleet.web.errors import ForbiddenError
from fleet.web.i18n import Lang, choose_lang
from fleet.web.paging import parse_id
from fleet.web.render import redirect, render
from fleet.web.routing import PageRoute
from fleet.web.session import FormSession, Session, WebSession, context_of

router = APIRouter(route_class=PageRoute)

MAX_RULE_CHARS = 20_000

WORDS: dict[Lang, dict[str, str]] = {
    "ru": {
        "title": "Льготы и услуги",
        "catalog_version": "Версия каталога: {version}",
        "measures": "Меры поддержки",
        "measure": "Мера",
        "level": "Уровень",
        "level_federal": "федеральная",
        "level_regional": "региональная ({region})",
        "agency": "Кто предоставляет",
        "verification": "Проверка",
        "verified": "проверено",
        "unverified": "требует проверки",
        "agencies": "Организации",
        "kind": "Вид",
        "phone": "Телефон",
        "history": "История изменений",
        "who": "Кто",
        "when": "Когда",
        "what": "Что изменено",
        "system": "система",
        "back": "К каталогу",
        "edit": "Изменить",
        "title_ru": "Название (рус.)",
        "title_en": "Название (англ.)",
        "summary_ru": "Кратко (рус.)",
        "summary_en": "Кратко (англ.)",
        "rule": "Правило (JSON)",
        "rule_hint": 'all / any / not / {{"rule": имя}} / {{"fact", "op", "value" или '
        '"param"}}. Факты: {facts}.',
        "save": "Сохранить",
        "saved": "Сохранено: версия каталога {version}. Роботы получат её при следующей связи.",
        "refused": "Не сохранено",
        "not_json": "Правило — не JSON: строка {line}, позиция {column}: {message}",
        "not_object": "Правило должно быть объектом JSON ({...}).",
        "too_long": "Правило слишком длинное (больше {limit} знаков).",
        "read_only": "Изменять каталог могут администраторы и социальные работники.",
        "name_ru": "Название (рус.)",
        "name_en": "Название (англ.)",
        "does_ru": "Чем занимается (рус.)",
        "does_en": "Чем занимается (англ.)",
        "address_ru": "Адрес (рус.)",
        "address_en": "Адрес (англ.)",
        "hours_ru": "Часы работы (рус.)",
        "hours_en": "Часы работы (англ.)",
        "website": "Сайт",
        "legal_basis": "Основание",
        "benefits_link": "Льготы и услуги",
        "resident_back": "К карточке подопечного",
        "profile": "Что известно о подопечном",
        "fact": "Факт",
        "value": "Значение",
        "source": "Источник: {source}, {when}",
        "source_voice": "со слов подопечного (с его согласия)",
        "source_staff": "введено сотрудником",
        "from_record": "Дата рождения, группа инвалидности — из карточки; регион — организации.",
        "no_profile": "Подопечный ещё ничего не сообщал.",
        "delete_profile": "Удалить сведения",
        "profile_deleted": "Сведения удалены.",
        "results": "На что может иметь право",
        "status": "Итог",
        "reasons": "Почему",
        "missing": "Не хватает сведений: {facts}",
        "requests": "Просьбы о записи на приём",
        "request_at": "{when}: {agency}",
        "measures_asked": "Меры: {ids}",
        "done": "Готово",
        "mark_done": "Отметить выполненной",
        "no_requests": "Просьб о записи нет.",
        "summary": "Вероятно положено мер: {eligible}; нужно уточнить: {unknown}; "
        "открытых просьб о записи: {requests}.",
        "yes": "да",
        "no": "нет",
        "none": "нет",
    },
    "en": {
        "title": "Benefits and services",
        "catalog_version": "Catalog version: {version}",
        "measures": "Support measures",
        "measure": "Measure",
        "level": "Level",
        "level_federal": "federal",
        "level_regional": "regional ({region})",
        "agency": "Granted by",
        "verification": "Checked",
        "verified": "verified",
        "unverified": "needs checking",
        "agencies": "Agencies",
        "kind": "Kind",
        "phone": "Phone",
        "history": "Changes",
        "who": "Who",
        "when": "When",
        "what": "What changed",
        "system": "system",
        "back": "Back to the catalog",
        "edit": "Edit",
        "title_ru": "Title (Russian)",
        "title_en": "Title (English)",
        "summary_ru": "Summary (Russian)",
        "summary_en": "Summary (English)",
        "rule": "Rule (JSON)",
        "rule_hint": 'all / any / not / {{"rule": name}} / {{"fact", "op", "value" or '
        '"param"}}. Facts: {facts}.',
        "save": "Save",
        "saved": "Saved: catalog version {version}. Robots get it when they next connect.",
        "refused": "Not saved",
        "not_json": "The rule is not JSON: line {line}, column {column}: {message}",
        "not_object": "The rule must be a JSON object ({...}).",
        "too_long": "The rule is too long (over {limit} characters).",
        "read_only": "Admins and social workers may change the catalog.",
        "name_ru": "Name (Russian)",
        "name_en": "Name (English)",
        "does_ru": "What it does (Russian)",
        "does_en": "What it does (English)",
        "address_ru": "Address (Russian)",
        "address_en": "Address (English)",
        "hours_ru": "Opening hours (Russian)",
        "hours_en": "Opening hours (English)",
        "website": "Website",
        "legal_basis": "Legal basis",
        "benefits_link": "Benefits and services",
        "resident_back": "Back to the resident",
        "profile": "What is known about the resident",
        "fact": "Fact",
        "value": "Value",
        "source": "Source: {source}, {when}",
        "source_voice": "said by the resident (with their consent)",
        "source_staff": "entered by staff",
        "from_record": "Date of birth and disability group come from the resident record; "
        "the region from the agency.",
        "no_profile": "The resident has not told anything yet.",
        "delete_profile": "Delete these facts",
        "profile_deleted": "The facts were deleted.",
        "results": "What they may be entitled to",
        "status": "Answer",
        "reasons": "Why",
        "missing": "Facts still missing: {facts}",
        "requests": "Appointment requests",
        "request_at": "{when}: {agency}",
        "measures_asked": "Measures: {ids}",
        "done": "Done",
        "mark_done": "Mark as done",
        "no_requests": "No appointment requests.",
        "summary": "Likely entitled to {eligible} measures; {unknown} need checking; "
        "open appointment requests: {requests}.",
        "yes": "yes",
        "no": "no",
        "none": "none",
    },
}


def words(lang: Lang, key: str, **values: object) -> str:
    text = WORDS[lang].get(key) or WORDS["en"].get(key) or key
    return text.format(**values) if values else text


# the catalog


@router.get("/benefits")
def catalog_page(request: Request, session: Session) -> Response:
    context = context_of(request)
    db = context.db()
    found = store.get_catalog(db, session.agency_id, context.now())
    values = {
        "catalog": found,
        "measures": measure_summaries(found),
        "agencies": {item["id"]: item for item in found.items("agencies")},
        "history": store.catalog_history(db, session.agency_id, limit=20),
        "w": _words(request),
    }
    return render(request, "benefits.html", values, session=session)


@router.get("/benefits/measures/{measure_id}")
def measure_page(request: Request, measure_id: str, session: Session) -> Response:
    return _measure_page(request, session, measure_id)


@router.post("/benefits/measures/{measure_id}")
async def save_measure(request: Request, measure_id: str, session: FormSession) -> Response:
    typed = await _typed(request)
    return await _in_thread(_save_measure, request, session, measure_id, typed)


MEASURE_FIELDS = ("title_ru", "title_en", "summary_ru", "summary_en", "rule")


def _save_measure(
    request: Request, session: WebSession, measure_id: str, typed: dict[str, str]
) -> Response:
    context = context_of(request)
    lang = choose_lang(request)
    current = store.get_catalog(context.db(), session.agency_id, context.now())
    current.item("measures", measure_id)  # 404 before anything else
    _require_editor(session)
    typed = {name: typed.get(name, "") for name in (*MEASURE_FIELDS, "base_version")}
    parsed, problem = _parse_rule(typed["rule"], lang)
    if problem:
        return _measure_page(request, session, measure_id, typed=typed, errors=[problem])
    fields: dict[str, Any] = {
        "title": {"ru": typed["title_ru"].strip(), "en": typed["title_en"].strip()},
        "summary": {"ru": typed["summary_ru"].strip(), "en": typed["summary_en"].strip()},
        "eligibility": parsed,
    }
    edit = store.patch_item("measures", measure_id, fields)
    return _save(request, context, session, edit, typed["base_version"],
                 ok=f"/benefits/measures/{measure_id}",
                 refused=lambda errors: _measure_page(request, session, measure_id,
                                                      typed=typed, errors=errors))  # fmt: skip


@router.get("/benefits/agencies/{benefits_agency_id}")
def agency_page(request: Request, benefits_agency_id: str, session: Session) -> Response:
    return _agency_page(request, session, benefits_agency_id)


AGENCY_TEXTS = ("name", "does", "address", "hours")


@router.post("/benefits/agencies/{benefits_agency_id}")
async def save_agency(request: Request, benefits_agency_id: str, session: FormSession) -> Response:
    typed = await _typed(request)
    return await _in_thread(_save_agency, request, session, benefits_agency_id, typed)


def _save_agency(
    request: Request, session: WebSession, agency_id: str, typed: dict[str, str]
) -> Response:
    context = context_of(request)
    current = store.get_catalog(context.db(), session.agency_id, context.now())
    current.item("agencies", agency_id)
    _require_editor(session)
    fields: dict[str, Any] = {}
    for name in AGENCY_TEXTS:
        ru, en = typed.get(f"{name}_ru", "").strip(), typed.get(f"{name}_en", "").strip()
        # Optional texts: both empty means "not known"; required ones the check refuses.
        fields[name] = None if not ru and not en and name in {"address", "hours"} else {
            "ru": ru, "en": en,
        }  # fmt: skip
    for name in ("phone", "website"):
        fields[name] = typed.get(name, "").strip() or None
    edit = store.patch_item("agencies", agency_id, fields)
    return _save(request, context, session, edit, typed.get("base_version", ""),
                 ok=f"/benefits/agencies/{agency_id}",
                 refused=lambda errors: _agency_page(request, session, agency_id,
                                                     typed=typed, errors=errors))  # fmt: skip


# a resident's benefits


@router.get("/residents/{resident_id}/benefits")
def resident_benefits_page(request: Request, resident_id: str, session: Session) -> Response:
    return _resident_page(request, session, parse_id(resident_id))


@router.post("/residents/{resident_id}/benefits/profile/delete")
def delete_profile(request: Request, resident_id: str, session: FormSession) -> Response:
    context = context_of(request)
    number = parse_id(resident_id)
    db = context.db()
    store.get_profile(db, session.agency_id, number)  # 404 before the role check
    if session.user.role not in RESIDENT_EDITORS:
        raise ForbiddenError()
    if store.delete_profile(db, session.agency_id, number, user_id=session.user.id,
                            now=context.now()):  # fmt: skip
        sync_resident_benefits(context, db, number)
    return redirect(f"/residents/{number}/benefits?deleted=1")


@router.post("/residents/{resident_id}/benefits/requests/{request_id}/done")
def request_done(
    request: Request, resident_id: str, request_id: str, session: FormSession
) -> Response:
    context = context_of(request)
    number = parse_id(resident_id)
    store.get_profile(context.db(), session.agency_id, number)  # 404 first
    if session.user.role not in RESIDENT_EDITORS:
        raise ForbiddenError()
    store.mark_request_done(context.db(), session.agency_id, number, parse_id(request_id),
                            user_id=session.user.id, now=context.now())  # fmt: skip
    return redirect(f"/residents/{number}/benefits")


def resident_summary(context: FleetContext, agency_id: int, resident_id: int, lang: Lang) -> str:
    """One sentence for the resident's page: what the benefits page would show in full."""
    db = context.db()
    requests = [r for r in store.list_appointment_requests(db, agency_id, resident_id)
                if r.done_at is None]  # fmt: skip
    try:
        answer = eligibility(context, db, agency_id=agency_id, resident_id=resident_id,
                             lang=lang, on=None)  # fmt: skip
    except InvalidChangeError:
        return ""  # the benefits page says why
    statuses = [result["status"] for result in answer.results]
    return words(lang, "summary", eligible=statuses.count("eligible"),
                 unknown=statuses.count("unknown"), requests=len(requests))  # fmt: skip


# helpers


def _words(request: Request) -> Any:
    lang = choose_lang(request)
    return lambda key, **values: words(lang, key, **values)


def _require_editor(session: WebSession) -> None:
    if session.user.role not in CATALOG_EDITORS:
        raise ForbiddenError()


def _parse_rule(text: str, lang: Lang) -> tuple[dict[str, Any], str]:
    if len(text) > MAX_RULE_CHARS:
        return {}, words(lang, "too_long", limit=MAX_RULE_CHARS)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        return {}, words(lang, "not_json", line=error.lineno, column=error.colno,
                         message=error.msg)  # fmt: skip
    if not isinstance(parsed, dict):
        return {}, words(lang, "not_object")
    return parsed, ""


def _save(
    request: Request,
    context: FleetContext,
    session: WebSession,
    edit: store.Editor,
    base_version: str,
    *,
    ok: str,
    refused: Any,
) -> Response:
    base = int(base_version) if base_version.isdigit() else None
    try:
        found = save_catalog_change(context, context.db(), session.user, edit, base)
    except (InvalidChangeError, ConflictError) as error:
        return refused([str(error)])  # type: ignore[no-any-return]
    return redirect(f"{ok}?saved={found.version}")


def _measure_page(
    request: Request,
    session: WebSession,
    measure_id: str,
    *,
    typed: dict[str, str] | None = None,
    errors: list[str] | None = None,
) -> Response:
    context = context_of(request)
    found = store.get_catalog(context.db(), session.agency_id, context.now())
    measure = found.item("measures", measure_id)
    shown = typed or {
        "title_ru": measure["title"]["ru"], "title_en": measure["title"]["en"],
        "summary_ru": measure["summary"]["ru"], "summary_en": measure["summary"]["en"],
        "rule": json.dumps(measure["eligibility"], ensure_ascii=False, indent=2),
    }  # fmt: skip
    values = {
        "catalog": found,
        "measure": measure,
        "agency": next((a for a in found.items("agencies") if a["id"] == measure["agency"]), None),
        "form": shown,
        "facts": ", ".join(FACTS),
        **_edit_state(request, session, errors),
    }
    return render(request, "benefit_measure.html", values, session=session,
                  status_code=422 if errors else 200)  # fmt: skip


def _agency_page(
    request: Request,
    session: WebSession,
    agency_id: str,
    *,
    typed: dict[str, str] | None = None,
    errors: list[str] | None = None,
) -> Response:
    context = context_of(request)
    found = store.get_catalog(context.db(), session.agency_id, context.now())
    agency = found.item("agencies", agency_id)
    shown = typed or _agency_form(agency)
    values = {"catalog": found, "agency": agency, "form": shown, "texts": AGENCY_TEXTS,
              **_edit_state(request, session, errors)}  # fmt: skip
    return render(request, "benefit_agency.html", values, session=session,
                  status_code=422 if errors else 200)  # fmt: skip


def _agency_form(agency: dict[str, Any]) -> dict[str, str]:
    form: dict[str, str] = {}
    for name in AGENCY_TEXTS:
        text = agency.get(name) or {}
        form[f"{name}_ru"], form[f"{name}_en"] = text.get("ru", ""), text.get("en", "")
    form["phone"] = agency.get("phone") or ""
    form["website"] = agency.get("website") or ""
    return form


def _edit_state(request: Request, session: WebSession, errors: list[str] | None) -> dict[str, Any]:
    saved = request.query_params.get("saved", "")
    return {
        "editable": session.user.role in CATALOG_EDITORS,
        "saved": saved if saved.isdigit() and not errors else "",
        "errors": errors or [],
        "w": _words(request),
    }


def _resident_page(request: Request, session: WebSession, resident_id: int) -> Response:
    context = context_of(request)
    db, agency = context.db(), session.agency_id
    lang = choose_lang(request)
    stored = store.get_profile(db, agency, resident_id)  # 404 if not ours
    resident = get_resident(db, agency, resident_id)
    problem = ""
    try:
        answer = eligibility(context, db, agency_id=agency, resident_id=resident_id, lang=lang,
                             on=None)  # fmt: skip
        results, facts = answer.results, answer.facts
    except InvalidChangeError as error:
        results, facts, problem = [], store.known_facts(db, agency, resident_id), str(error)
    catalog = store.get_catalog(db, agency, context.now())
    values = {
        "resident": resident,
        "profile": stored,
        "facts": [
            (FACTS[name].label(lang) if name in FACTS else name, _shown(value, lang))
            for name, value in facts.items()
        ],
        "results": results,
        "problem": problem,
        "requests": store.list_appointment_requests(db, agency, resident_id),
        "agency_names": {a["id"]: a["name"][lang] for a in catalog.items("agencies")},
        "editable": session.user.role in RESIDENT_EDITORS,
        "deleted": request.query_params.get("deleted") == "1",
        "w": _words(request),
    }
    return render(request, "resident_benefits.html", values, session=session)


def _shown(value: object, lang: Lang) -> str:
    if isinstance(value, bool):
        return words(lang, "yes" if value else "no")
    if value is None:
        return words(lang, "none")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


async def _typed(request: Request) -> dict[str, str]:
    """The form's text fields (the CSRF token was checked by `FormSession`)."""
    form = await request.form()
    return {key: value for key, value in form.items() if key != "csrf" and isinstance(value, str)}


async def _in_thread(function: Any, *args: Any) -> Response:
    response: Response = await run_in_threadpool(function, *args)
    return response
