"""The dashboard's words in Russian and English, and which language a request gets.

Russian comes first: most operators and social workers read it; English is for
everyone else. A key missing from one language falls back to English, then to
the key itself, so a forgotten translation shows up as text rather than an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from starlette.requests import Request

Lang = Literal["ru", "en"]
LANGS: tuple[Lang, ...] = ("ru", "en")
DEFAULT_LANG: Lang = "ru"
LANG_COOKIE = "hc_lang"

Translator = Callable[..., str]

STRINGS: dict[Lang, dict[str, str]] = {
    "ru": {
        "app_name": "Homecare — диспетчерская",
        "skip_to_content": "Перейти к содержимому",
        "nav_incidents": "Тревоги",
        "nav_robots": "Роботы",
        "nav_residents": "Подопечные",
        "nav_rentals": "Аренда",
        "nav_benefits": "Льготы",
        "nav_specialists": "Приём",
        "nav_complaints": "Жалобы",
        "appointments_link": "Записи на приём и жалобы",
        "forbidden_appointments": "Это могут администраторы и социальные работники.",
        "nav_main": "Разделы",
        "signed_in_as": "Вы вошли как {name}",
        "logout": "Выйти",
        "language": "Язык",
        # sign-in
        "login_title": "Вход",
        "login_intro": "Войдите, чтобы видеть роботов, тревоги и подопечных вашей организации.",
        "email": "Электронная почта",
        "password": "Пароль",
        "login_button": "Войти",
        "login_wrong": "Неверная почта или пароль. Проверьте раскладку клавиатуры и Caps Lock.",
        "login_missing": "Введите почту и пароль.",
        "login_form_expired": "Форма устарела. Пожалуйста, войдите ещё раз.",
        "login_expired": "Сеанс закончился. Войдите снова.",
        "logged_out": "Вы вышли из системы.",
        # live updates
        "live_connecting": "Подключение к обновлениям…",
        "live_on": "Обновления в реальном времени включены",
        "live_lost": "Нет связи с сервером — новые тревоги могут не появиться! Переподключаемся…",
        "live_signed_out": "Сеанс закончился — новые тревоги не поступают. Войдите снова.",
        "sign_in_again": "Войти снова",
        "new_incident": "Новая тревога",
        "open_incidents_badge": "Открытых тревог: {count}",
        # incidents
        "incidents_title": "Тревоги",
        "incidents_open": "Требуют реакции",
        "incidents_acknowledged": "В работе",
        "incidents_none_open": "Открытых тревог нет.",
        "incidents_none_ack": "Нет тревог в работе.",
        "incident": "Тревога",
        "kind": "Тип",
        "severity": "Важность",
        "severity_critical": "КРИТИЧНО",
        "severity_warning": "Внимание",
        "severity_info": "Инфо",
        "status": "Статус",
        "status_open": "Открыта",
        "status_acknowledged": "Принята",
        "status_resolved": "Закрыта",
        "raised_at": "Время",
        "robot": "Робот",
        "resident": "Подопечный",
        "acknowledge": "Принять",
        "acknowledged_by": "Принял(а): {name}, {time}",
        "escalation": "Оповещения",
        "escalation_step": "шаг {step}",
        "delivery_queued": "отправляется",
        "delivery_sent": "доставлено",
        "delivery_failed": "не доставлено",
        "who_operator_on_duty": "дежурный",
        "who_contact": "контакт",
        "channel_webhook": "вебхук",
        "channel_email": "почта",
        "sound_on": "Звук тревог включён",
        "sound_off": "Включить звук тревог",
        "resolve": "Закрыть",
        "outcome": "Чем закончилось",
        "outcome_choose": "— выберите —",
        "outcome_missing": "Выберите, чем закончилось, — это нужно для отчёта.",
        "outcome_false_alarm": "Ложная тревога",
        "outcome_resolved_by_phone": "Решено по телефону",
        "outcome_help_sent": "Отправлена помощь",
        "outcome_ambulance_called": "Вызвана скорая",
        "outcome_technical": "Техническая неисправность",
        "forbidden_resolve": "Закрывать тревоги могут администратор, оператор "
        "или социальный работник.",
        "kind_fall": "Падение",
        "kind_low_battery": "Низкий заряд",
        "kind_missed_medication": "Пропущен приём лекарства",
        "kind_help_request": "Просьба о помощи",
        "kind_no_activity": "Нет активности",
        "detail_battery_pct": "Заряд, %",
        "detail_level": "Уровень",
        "detail_confidence": "Уверенность",
        # robots
        "robots_title": "Роботы",
        "robot_id": "ID",
        "serial": "Серийный номер",
        "model": "Модель",
        "firmware": "Прошивка",
        "online": "Связь",
        "state_online": "В сети",
        "state_offline": "Не в сети",
        "battery": "Заряд",
        "charging": "заряжается",
        "last_seen": "Последний сигнал",
        "never": "никогда",
        "robot_status_in_stock": "На складе",
        "robot_status_rented": "В аренде",
        "robot_status_maintenance": "На обслуживании",
        "robot_status_retired": "Списан",
        "filter": "Показать",
        "filter_all": "Все",
        "apply": "Применить",
        "no_robots": "Роботов не найдено.",
        "recent_telemetry": "Последние показания",
        "recent_incidents": "Последние тревоги",
        "time": "Время",
        "cpu_temp": "Температура, °C",
        "uptime": "Работает без перезапуска",
        "no_data": "Данных пока нет.",
        # residents and rentals
        "residents_title": "Подопечные",
        "full_name": "ФИО",
        "address": "Адрес",
        "lang_name": "Язык общения",
        "lang_ru": "русский",
        "lang_en": "английский",
        "age": "Возраст",
        "age_years": "{years} лет",
        "disability_group": "Группа инвалидности",
        "disability_group_n": "{n} группа",
        "none": "нет",
        "contacts": "Контакты",
        "consents": "Согласия",
        "consent_yes": "да",
        "consent_no": "нет",
        "consent_personal_data": "Обработка персональных данных",
        "consent_video_calls": "Видеозвонки",
        "consent_data_sharing": "Передача данных родственникам",
        "consent_telemetry": "Сбор показаний робота",
        "current_rental": "Текущая аренда",
        "no_residents": "Подопечных не найдено.",
        "rentals_title": "Аренда",
        "rental": "Аренда",
        "starts_on": "Начало",
        "ends_on": "Окончание",
        "handed_over": "Выдан",
        "returned": "Возвращён",
        "rental_status_planned": "Запланирована",
        "rental_status_active": "Идёт",
        "rental_status_returned": "Завершена",
        "rental_status_cancelled": "Отменена",
        "hand_over": "Выдать робота",
        "return_robot": "Принять возврат",
        "no_rentals": "Договоров аренды не найдено.",
        "actions": "Действия",
        # paging and errors
        "page_n_of": "Страница {page} из {pages}",
        "previous": "← Назад",
        "next": "Вперёд →",
        "pagination": "Страницы",
        "minutes_ago": "{n} мин назад",
        "hours_ago": "{n} ч назад",
        "days_ago": "{n} дн. назад",
        "just_now": "только что",
        "times_in_zone": "Время указано по часовому поясу {zone}.",
        "not_found_title": "Не найдено",
        "not_found": "Такой страницы или записи нет в вашей организации.",
        "forbidden_title": "Недостаточно прав",
        "forbidden": "Для этого действия нужна роль администратора или оператора.",
        "csrf_title": "Форма устарела",
        "csrf_refused": "Форма устарела или открыта с другого сайта. Обновите страницу "
        "и повторите действие.",
        "conflict_title": "Действие невозможно",
        "conflict": "Это действие сейчас невозможно: {detail}",
        "back_to_incidents": "К тревогам",
    },
    "en": {
        "app_name": "Homecare — operations",
        "skip_to_content": "Skip to content",
        "nav_incidents": "Incidents",
        "nav_robots": "Robots",
        "nav_residents": "Residents",
        "nav_rentals": "Rentals",
        "nav_benefits": "Benefits",
        "nav_specialists": "Appointments",
        "nav_complaints": "Complaints",
        "appointments_link": "Appointments and complaints",
        "forbidden_appointments": "Only admins and social workers may do this.",
        "nav_main": "Sections",
        "signed_in_as": "Signed in as {name}",
        "logout": "Sign out",
        "language": "Language",
        "login_title": "Sign in",
        "login_intro": "Sign in to see your agency's robots, incidents and residents.",
        "email": "Email",
        "password": "Password",
        "login_button": "Sign in",
        "login_wrong": "Wrong email or password. Check the keyboard layout and Caps Lock.",
        "login_missing": "Enter your email and password.",
        "login_form_expired": "The form had expired. Please sign in again.",
        "login_expired": "Your session has ended. Please sign in again.",
        "logged_out": "You have signed out.",
        "live_connecting": "Connecting to live updates…",
        "live_on": "Live updates are on",
        "live_lost": "No connection to the server — new incidents may not appear! Reconnecting…",
        "live_signed_out": "Your session has ended — new incidents are not arriving. "
        "Sign in again.",
        "sign_in_again": "Sign in again",
        "new_incident": "New incident",
        "open_incidents_badge": "Open incidents: {count}",
        "incidents_title": "Incidents",
        "incidents_open": "Need attention",
        "incidents_acknowledged": "In progress",
        "incidents_none_open": "No open incidents.",
        "incidents_none_ack": "No incidents in progress.",
        "incident": "Incident",
        "kind": "Kind",
        "severity": "Severity",
        "severity_critical": "CRITICAL",
        "severity_warning": "Warning",
        "severity_info": "Info",
        "status": "Status",
        "status_open": "Open",
        "status_acknowledged": "Acknowledged",
        "status_resolved": "Resolved",
        "raised_at": "Time",
        "robot": "Robot",
        "resident": "Resident",
        "acknowledge": "Acknowledge",
        "acknowledged_by": "Acknowledged by {name}, {time}",
        "escalation": "Notified",
        "escalation_step": "step {step}",
        "delivery_queued": "sending",
        "delivery_sent": "delivered",
        "delivery_failed": "not delivered",
        "who_operator_on_duty": "duty operator",
        "who_contact": "contact",
        "channel_webhook": "webhook",
        "channel_email": "e-mail",
        "sound_on": "Alarm sound is on",
        "sound_off": "Turn on alarm sound",
        "resolve": "Resolve",
        "outcome": "Outcome",
        "outcome_choose": "— choose —",
        "outcome_missing": "Choose the outcome — the report needs it.",
        "outcome_false_alarm": "False alarm",
        "outcome_resolved_by_phone": "Settled by phone",
        "outcome_help_sent": "Help sent",
        "outcome_ambulance_called": "Ambulance called",
        "outcome_technical": "Technical fault",
        "forbidden_resolve": "Incidents are closed by an admin, operator or social worker.",
        "kind_fall": "Fall",
        "kind_low_battery": "Low battery",
        "kind_missed_medication": "Missed medication",
        "kind_help_request": "Help request",
        "kind_no_activity": "No activity",
        "detail_battery_pct": "Battery, %",
        "detail_level": "Level",
        "detail_confidence": "Confidence",
        "robots_title": "Robots",
        "robot_id": "ID",
        "serial": "Serial",
        "model": "Model",
        "firmware": "Firmware",
        "online": "Connection",
        "state_online": "Online",
        "state_offline": "Offline",
        "battery": "Battery",
        "charging": "charging",
        "last_seen": "Last seen",
        "never": "never",
        "robot_status_in_stock": "In stock",
        "robot_status_rented": "Rented",
        "robot_status_maintenance": "Maintenance",
        "robot_status_retired": "Retired",
        "filter": "Show",
        "filter_all": "All",
        "apply": "Apply",
        "no_robots": "No robots found.",
        "recent_telemetry": "Recent readings",
        "recent_incidents": "Recent incidents",
        "time": "Time",
        "cpu_temp": "Temperature, °C",
        "uptime": "Uptime",
        "no_data": "No data yet.",
        "residents_title": "Residents",
        "full_name": "Name",
        "address": "Address",
        "lang_name": "Language",
        "lang_ru": "Russian",
        "lang_en": "English",
        "age": "Age",
        "age_years": "{years} years",
        "disability_group": "Disability group",
        "disability_group_n": "group {n}",
        "none": "none",
        "contacts": "Contacts",
        "consents": "Consents",
        "consent_yes": "yes",
        "consent_no": "no",
        "consent_personal_data": "Processing of personal data",
        "consent_video_calls": "Video calls",
        "consent_data_sharing": "Sharing data with relatives",
        "consent_telemetry": "Robot readings",
        "current_rental": "Current rental",
        "no_residents": "No residents found.",
        "rentals_title": "Rentals",
        "rental": "Rental",
        "starts_on": "Starts",
        "ends_on": "Ends",
        "handed_over": "Handed over",
        "returned": "Returned",
        "rental_status_planned": "Planned",
        "rental_status_active": "Active",
        "rental_status_returned": "Returned",
        "rental_status_cancelled": "Cancelled",
        "hand_over": "Hand over",
        "return_robot": "Take back",
        "no_rentals": "No rentals found.",
        "actions": "Actions",
        "page_n_of": "Page {page} of {pages}",
        "previous": "← Previous",
        "next": "Next →",
        "pagination": "Pages",
        "minutes_ago": "{n} min ago",
        "hours_ago": "{n} h ago",
        "days_ago": "{n} d ago",
        "just_now": "just now",
        "times_in_zone": "Times are in the {zone} time zone.",
        "not_found_title": "Not found",
        "not_found": "There is no such page or record in your agency.",
        "forbidden_title": "Not allowed",
        "forbidden": "This action needs the admin or operator role.",
        "csrf_title": "The form has expired",
        "csrf_refused": "The form has expired or was sent from another site. Reload the page "
        "and try again.",
        "conflict_title": "Not possible now",
        "conflict": "This cannot be done now: {detail}",
        "back_to_incidents": "To incidents",
    },
}


def translate(lang: Lang, key: str, **values: object) -> str:
    text = STRINGS[lang].get(key) or STRINGS["en"].get(key) or key
    return text.format(**values) if values else text


def label(lang: Lang, prefix: str, value: object) -> str:
    """The word for a stored code (`kind_fall`); an unknown code reads as itself."""
    key = f"{prefix}_{value}"
    return STRINGS[lang].get(key) or STRINGS["en"].get(key) or str(value).replace("_", " ")


def translator(lang: Lang) -> Translator:
    def t(key: str, **values: object) -> str:
        return translate(lang, key, **values)

    return t


def choose_lang(request: Request) -> Lang:
    """`?lang=` (the switcher's links), then the `lang` cookie, then Accept-Language."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        lang = _known(candidate)
        if lang:
            return lang
    return from_accept_language(request.headers.get("accept-language", ""))


def from_accept_language(header: str) -> Lang:
    """The best of our languages by the header's q-values; Russian when none match."""
    ranked: list[tuple[float, int, Lang]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        lang = _known(tag.split("-")[0])
        if lang:
            ranked.append((_quality(params), -position, lang))
    return max(ranked)[2] if ranked else DEFAULT_LANG


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def _known(value: str | None) -> Lang | None:
    mapping: Mapping[str, Lang] = {"ru": "ru", "en": "en"}
    return mapping.get((value or "").strip().lower())
