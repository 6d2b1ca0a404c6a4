"""The dashboard's appointment pages: specialists and slots, booking and cancelling for a
resident, complaints with overdue ones highlighted and answered, ratings per month."""

from __future__ import annotations

from fleet.store import appointments as store
from fleet.store.reminders import get_schedule
from tests.fleet_api import Fleet
from tests.unit.test_fleet_api_reminders import add_resident
from tests.unit.test_fleet_web import sign_in


def test_an_editor_adds_a_specialist_and_slots_and_books_and_cancels(fleet: Fleet) -> None:
    csrf = sign_in(fleet, "social@a.example")
    added = fleet.client.post("/specialists", data={"csrf": csrf, "name": "Ирина Волкова",
                              "role": "юрист"}, follow_redirects=False)  # fmt: skip
    assert added.status_code == 303
    (specialist,) = store.list_specialists(fleet.context.db(), fleet.agency_a)
    assert 'data-specialist-id="' in fleet.client.get("/specialists?lang=en").text
    url = f"/specialists/{specialist.id}/slots"
    slot_form = {"csrf": csrf, "starts_at": "2026-11-25T10:00", "timezone": "Asia/Yekaterinburg",
                 "duration_min": "45", "mode": "video", "place": "", "weeks": "2"}  # fmt: skip
    assert fleet.client.post(url, data=slot_form, follow_redirects=False).status_code == 303
    page = fleet.client.get(f"/specialists/{specialist.id}?lang=en").text
    assert page.count("data-slot-id=") == 2 and "video call" in page
    past = fleet.client.post(url, data={**slot_form, "starts_at": "2026-11-01T10:00"},
                             follow_redirects=True)  # fmt: skip
    assert "starts in the past" in past.text
    bad = fleet.client.post(url, data={**slot_form, "starts_at": "tomorrow"})
    assert bad.status_code == 409 and "YYYY-MM-DDTHH:MM" in fleet.client.post(
        f"{url}?lang=en", data={**slot_form, "starts_at": "tomorrow"}).text  # fmt: skip

    resident = add_resident(fleet)
    free = store.free_slots(fleet.context.db(), fleet.agency_a, fleet.context.now())
    booked = fleet.client.post(f"/residents/{resident}/appointments",
                               data={"csrf": csrf, "slot_id": str(free[0].id)},
                               follow_redirects=False)  # fmt: skip
    assert booked.status_code == 303
    (appointment,) = store.list_appointments(fleet.context.db(), fleet.agency_a, resident)
    reminders = get_schedule(fleet.context.db(), fleet.agency_a, resident).schedule.reminders
    assert [r.id for r in reminders] == [appointment.reminder_id]
    page = fleet.client.get(f"/residents/{resident}/appointments?lang=en").text
    assert f'data-appointment-id="{appointment.id}" data-status="booked"' in page
    fleet.client.post(f"/appointments/{appointment.id}/cancel", data={"csrf": csrf})
    assert store.get_appointment(fleet.context.db(), fleet.agency_a, appointment.id).status == (
        "cancelled"
    )
    assert get_schedule(fleet.context.db(), fleet.agency_a, resident).schedule.reminders == []

    caregiver = sign_in(fleet, "caregiver@a.example")
    page = fleet.client.get(f"/residents/{resident}/appointments").text
    assert 'id="book-form"' not in page
    refused = fleet.client.post(f"/residents/{resident}/appointments",
                                data={"csrf": caregiver, "slot_id": str(free[1].id)})  # fmt: skip
    assert refused.status_code == 403
    sign_in(fleet, "admin@b.example")
    assert fleet.client.get(f"/specialists/{specialist.id}").status_code == 404
    assert fleet.client.get(f"/residents/{resident}/appointments").status_code == 404


def test_overdue_complaints_stand_out_and_an_editor_answers_one(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    db, now = fleet.context.db(), fleet.context.now()
    old = store.file_complaint(db, fleet.agency_a, resident, ground="refusal", text="Отказали",
                               appointment_id=None, source="staff", user_id=None,
                               robot_id=None, filed_at=now - 20 * 86400, now=now)  # fmt: skip
    csrf = sign_in(fleet, "caregiver@a.example")
    filed = fleet.client.post(f"/residents/{resident}/complaints",
                              data={"csrf": csrf, "ground": "rude_treatment", "text": "Грубили"},
                              follow_redirects=False)  # fmt: skip
    assert filed.status_code == 303
    listing = fleet.client.get("/complaints?lang=en").text
    assert f'data-complaint-id="{old}" data-status="overdue" class="complaint-overdue"' in listing
    assert "answer overdue" in listing and "awaiting an answer" in listing
    assert 'id="answer-form"' not in fleet.client.get(f"/complaints/{old}").text

    csrf = sign_in(fleet, "social@a.example")
    answered = fleet.client.post(f"/complaints/{old}/answer",
                                 data={"csrf": csrf, "text": "Разобрались, вас примут."},
                                 follow_redirects=True)  # fmt: skip
    assert 'data-status="answered"' in answered.text and "Разобрались" in answered.text
    only_overdue = fleet.client.get("/complaints?status=overdue").text
    assert "data-complaint-id" not in only_overdue


def test_the_specialist_page_shows_ratings_per_month(fleet: Fleet) -> None:
    db, now = fleet.context.db(), fleet.context.now()
    specialist = store.create_specialist(db, fleet.agency_a, {"name": "Ирина", "role": "юрист"},
                                         user_id=None, now=now)  # fmt: skip
    db.execute(
        "INSERT INTO service_ratings (agency_id, appointment_id, specialist_id, courtesy,"
        " comfort, comment, rated_at, received_at) VALUES (?, 1, ?, 5, 3, 'Вежливо', ?, ?)",
        (fleet.agency_a, specialist.id, now, now),
    )
    sign_in(fleet, "caregiver@a.example")
    page = fleet.client.get(f"/specialists/{specialist.id}?lang=en").text
    row = page.split('data-month="2026-11"')[1].split("</tr>")[0]
    assert ">1<" in row and ">5.0<" in row and ">3.0<" in row
    assert "<title>2026-11: 4.0</title>" in page
    assert "«Вежливо»" in page.split('id="rating-comments"')[1]
