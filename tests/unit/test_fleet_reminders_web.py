"""The dashboard's reminders page: schedule, .ics upload and download, adherence chart."""

from __future__ import annotations

from datetime import UTC, datetime

from fleet.store.reminders import get_schedule, record_outcome
from tests.fleet_api import Fleet
from tests.unit.test_fleet_api_reminders import (
    ICS,
    add_resident,
    outcome,
    pill,
    put,
    rent_robot,
    schedule,
)
from tests.unit.test_fleet_web import sign_in


def test_the_resident_page_links_to_reminders_and_operators_only_read(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    assert put(fleet, resident, schedule()).status_code == 200
    robot_id = rent_robot(fleet, resident, days_ago=3)
    due = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
    db, now = fleet.context.db(), fleet.context.now()
    record_outcome(db, robot_id, outcome("a:taken", "taken", due), now)
    record_outcome(db, robot_id, outcome("b:missed", "missed", due.replace(day=23)), now)

    sign_in(fleet, "operator@a.example")
    page = fleet.client.get(f"/residents/{resident}?lang=en")
    assert f'href="/residents/{resident}/reminders"' in page.text
    assert "Reminders and adherence" in page.text
    reminders = fleet.client.get(f"/residents/{resident}/reminders?lang=en&days=7")
    assert reminders.status_code == 200
    html = reminders.text
    assert 'data-reminder-id="aspirin-morning"' in html and "FREQ=DAILY" in html
    assert 'id="ics-upload"' not in html  # operators read, they do not prescribe
    assert html.count('class="bar-taken"') == 1 and html.count('class="bar-missed"') == 1
    assert "In all: 1 taken, 0 snoozed, 1 missed; taken ratio 50 %." in html
    assert '<svg role="img" aria-labelledby="chart-title chart-desc"' in html
    russian = fleet.client.get(f"/residents/{resident}/reminders?lang=ru").text
    assert "Приём по дням" in russian and "Принято" in russian

    sign_in(fleet, "admin@b.example")
    assert fleet.client.get(f"/residents/{resident}/reminders").status_code == 404
    assert fleet.client.get(f"/residents/{resident}/reminders.ics").status_code == 404


def test_a_caregiver_uploads_an_ics_file_and_downloads_it(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    csrf = sign_in(fleet, "caregiver@a.example")
    page = fleet.client.get(f"/residents/{resident}/reminders?lang=en")
    assert 'id="ics-upload"' in page.text
    url = f"/residents/{resident}/reminders/ics"
    good = ICS.format(rule="FREQ=DAILY").encode()
    saved = fleet.client.post(url, data={"csrf": csrf}, files={"file": ("a.ics", good)},
                              follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    shown = fleet.client.get(saved.headers["location"] + "&lang=en").text
    assert "Schedule saved, version 1." in shown and "Эналаприл" in shown

    bad = ICS.format(rule="FREQ=SOMETIMES").encode()
    refused = fleet.client.post(url, data={"csrf": csrf}, files={"file": ("b.ics", bad)})
    assert refused.status_code == 422
    assert "The file was not accepted" in refused.text or "Файл не принят" in refused.text
    assert "RRULE" in refused.text

    forged = fleet.client.post(url, data={"csrf": "0" * 64}, files={"file": ("a.ics", good)})
    assert forged.status_code == 403

    download = fleet.client.get(f"/residents/{resident}/reminders.ics")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/calendar")
    assert "UID:enalapril-morning" in download.text


def test_a_caregiver_pauses_resumes_and_removes_one_reminder(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    doctor = {"id": "doctor@1", "kind": "appointment", "title": "Терапевт",
              "start": "2026-11-25T15:00:00"}  # fmt: skip
    assert put(fleet, resident, schedule(pill(), doctor)).status_code == 200
    sent: list[tuple[str, bytes, int, bool]] = []
    fleet.context.publish = lambda *message: sent.append(message)
    fleet.context.mqtt_connected = lambda: True
    robot_id = rent_robot(fleet, resident)
    csrf = sign_in(fleet, "caregiver@a.example")
    page = fleet.client.get(f"/residents/{resident}/reminders?lang=en").text
    assert f'action="/residents/{resident}/reminders/doctor%401/pause"' in page
    base = f"/residents/{resident}/reminders"

    paused = fleet.client.post(f"{base}/doctor@1/pause", data={"csrf": csrf},
                               follow_redirects=False)  # fmt: skip
    assert paused.status_code == 303, paused.text
    stored = get_schedule(fleet.context.db(), fleet.agency_a, resident)
    assert [(r.id, r.active) for r in stored.schedule.reminders] == [
        ("aspirin-morning", True), ("doctor@1", False)
    ]  # fmt: skip
    assert "resume-button" in fleet.client.get(f"{base}?lang=en").text
    assert len(sent) == 1 and sent[0][0] == f"hc/v1/r/{robot_id}/cfg/reminders"

    removed = fleet.client.post(f"{base}/aspirin-morning/remove", data={"csrf": csrf},
                                follow_redirects=False)  # fmt: skip
    assert removed.status_code == 303
    stored = get_schedule(fleet.context.db(), fleet.agency_a, resident)
    assert [r.id for r in stored.schedule.reminders] == ["doctor@1"] and stored.version == 3
    assert fleet.client.post(f"{base}/nothing/remove", data={"csrf": csrf}).status_code == 404
    assert fleet.client.post(f"{base}/doctor@1/explode", data={"csrf": csrf}).status_code == 404

    operator_csrf = sign_in(fleet, "operator@a.example")
    refused = fleet.client.post(f"{base}/doctor@1/resume", data={"csrf": operator_csrf})
    assert refused.status_code == 403


def test_a_caregiver_adds_one_reminder_with_the_form(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    csrf = sign_in(fleet, "caregiver@a.example")
    assert 'id="reminder-add"' in fleet.client.get(f"/residents/{resident}/reminders").text
    url = f"/residents/{resident}/reminders/add?lang=en"
    form = {"csrf": csrf, "kind": "medication", "title": "Blood pressure pill",
            "medicine": "enalapril", "dose": "1 tablet", "date": "2026-12-01", "time": "08:00",
            "repeat": "daily"}  # fmt: skip
    saved = fleet.client.post(url, data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    [reminder] = get_schedule(fleet.context.db(), fleet.agency_a, resident).schedule.reminders
    assert (reminder.medicine, reminder.rrule, reminder.start.isoformat()) == (
        "enalapril", "FREQ=DAILY", "2026-12-01T08:00:00"
    )  # fmt: skip
    no_medicine = fleet.client.post(url, data={**form, "medicine": ""})
    assert no_medicine.status_code == 422
    assert "a medication reminder must name its medicine" in no_medicine.text
    bad_time = fleet.client.post(url, data={**form, "time": "25:99"})
    assert bad_time.status_code == 422 and "Date and time" in bad_time.text
    past = fleet.client.post(url, data={**form, "date": "2020-01-01", "repeat": "once"})
    assert past.status_code == 422 and "in the past" in past.text
    assert len(get_schedule(fleet.context.db(), fleet.agency_a, resident).schedule.reminders) == 1
    operator_csrf = sign_in(fleet, "operator@a.example")
    assert fleet.client.post(url, data={**form, "csrf": operator_csrf}).status_code == 403
