"""The dashboard's benefits pages: the catalog, editing a rule (refusals in plain words),
agencies, and a resident's profile, eligibility and appointment requests."""

from __future__ import annotations

import json

from fleet.store import benefits as store
from fleet.store.rentals import create_rental, hand_over
from fleet.store.robots import create_robot
from tests.fleet_api import Fleet
from tests.unit.test_fleet_api_reminders import add_resident
from tests.unit.test_fleet_web import sign_in

NSU = "/benefits/measures/ru.nsu"


def form(csrf: str, rule: object, **changes: str) -> dict[str, str]:
    fields = {
        "csrf": csrf,
        "base_version": "1",
        "title_ru": "Набор социальных услуг (НСУ)",
        "title_en": "Social package (NSU)",
        "summary_ru": "Лекарства, санаторий, проезд.",
        "summary_en": "Medicines, sanatorium, travel.",
        "rule": rule if isinstance(rule, str) else json.dumps(rule),
    }
    return {**fields, **changes}


def test_an_editor_changes_a_rule_and_sees_refusals_in_plain_words(fleet: Fleet) -> None:
    csrf = sign_in(fleet, "social@a.example")
    catalog = fleet.client.get("/benefits?lang=en")
    assert catalog.status_code == 200
    assert 'data-measure-id="ru.nsu"' in catalog.text and "needs checking" in catalog.text
    page = fleet.client.get(f"{NSU}?lang=en")
    assert 'id="measure-form"' in page.text and "receives_edv" in page.text

    unknown = {"all": [{"fact": "shoe_size", "op": "eq", "value": 1}]}
    bad = fleet.client.post(f"{NSU}?lang=en", data=form(csrf, unknown))
    assert bad.status_code == 422
    assert "measure ru.nsu: eligibility.all[0]: unknown fact &#39;shoe_size&#39;" in bad.text
    assert "shoe_size" in bad.text.split('id="rule"')[1]  # what was typed stays in the form
    broken = fleet.client.post(f"{NSU}?lang=en", data=form(csrf, '{"fact": "age",'))
    assert broken.status_code == 422 and "The rule is not JSON: line 1" in broken.text

    rule = {"fact": "age", "op": "gte", "value": 70}
    saved = fleet.client.post(NSU, data=form(csrf, rule), follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"{NSU}?saved=2"
    shown = fleet.client.get(f"{NSU}?saved=2&lang=en").text
    assert "Saved: catalog version 2" in shown
    stored = store.get_catalog(fleet.context.db(), fleet.agency_a, fleet.context.now())
    assert stored.item("measures", "ru.nsu")["eligibility"] == rule
    stale = fleet.client.post(f"{NSU}?lang=en", data=form(csrf, rule, title_en="Other"))
    assert stale.status_code == 422 and "changed since you opened it" in stale.text

    sign_in(fleet, "operator@a.example")
    read_only = fleet.client.get(f"{NSU}?lang=en").text
    assert 'id="measure-form"' not in read_only and "Admins and social workers" in read_only
    refused = fleet.client.post(NSU, data=form(sign_in(fleet, "operator@a.example"), rule))
    assert refused.status_code == 403
    sign_in(fleet, "admin@b.example")
    assert fleet.client.get("/benefits/measures/test.nothing").status_code == 404


def test_an_agency_is_edited_and_a_bad_website_is_refused(fleet: Fleet) -> None:
    csrf = sign_in(fleet, "admin@a.example")
    page = fleet.client.get("/benefits/agencies/perm.kcson?lang=en")
    assert page.status_code == 200 and 'id="agency-form"' in page.text
    fields = {"csrf": csrf, "base_version": "1", "name_ru": "КЦСОН", "name_en": "KCSON",
              "does_ru": "Помощь на дому", "does_en": "Help at home", "phone": "+7 342 200-00-00",
              "website": "not a link"}  # fmt: skip
    refused = fleet.client.post("/benefits/agencies/perm.kcson?lang=en", data=fields)
    assert refused.status_code == 422 and "agency perm.kcson: website" in refused.text
    fields["website"] = ""
    saved = fleet.client.post("/benefits/agencies/perm.kcson", data=fields, follow_redirects=False)
    assert saved.status_code == 303
    agency = store.get_catalog(fleet.context.db(), fleet.agency_a, 0.0).item(
        "agencies", "perm.kcson"
    )
    assert agency["phone"] == "+7 342 200-00-00" and agency["website"] is None
    assert agency["address"] is None


def test_the_resident_page_shows_profile_results_and_requests(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    db, now = fleet.context.db(), fleet.context.now()
    store.put_profile(db, fleet.agency_a, resident, {"disability_group": 1, "receives_edv": True},
                      source="voice", user_id=None, now=now)  # fmt: skip
    robot = create_robot(db, fleet.agency_a, serial="S1", model="HC2", password_hash="x",
                         user_id=None, now=now)  # fmt: skip
    rental = create_rental(db, fleet.agency_a, robot_id=robot, resident_id=resident,
                           starts_on="2026-11-23", user_id=None, now=now)  # fmt: skip
    hand_over(db, fleet.agency_a, rental, user_id=None, now=now)
    store.record_appointment_request(db, robot, "q1", benefits_agency_id="perm.kcson",
                                     measure_ids=["ru.home_social_services"],
                                     note="Помогите с уборкой", ts=now, now=now)  # fmt: skip

    csrf = sign_in(fleet, "social@a.example")
    resident_page = fleet.client.get(f"/residents/{resident}?lang=en").text
    assert f'href="/residents/{resident}/benefits"' in resident_page
    assert "Likely entitled to 3 measures" in resident_page
    assert "open appointment requests: 1." in resident_page
    page = fleet.client.get(f"/residents/{resident}/benefits?lang=en").text
    assert "said by the resident (with their consent)" in page
    assert 'data-measure-id="ru.edv_disabled" data-status="eligible"' in page
    assert "Помогите с уборкой" in page and "Mark as done" in page
    request_id = store.list_appointment_requests(db, fleet.agency_a, resident)[0].id
    done = fleet.client.post(f"/residents/{resident}/benefits/requests/{request_id}/done",
                             data={"csrf": csrf}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    after = fleet.client.get(f"/residents/{resident}/benefits?lang=en").text
    assert "<strong>Done</strong>" in after
    deleted = fleet.client.post(f"/residents/{resident}/benefits/profile/delete",
                                data={"csrf": csrf}, follow_redirects=False)  # fmt: skip
    assert deleted.status_code == 303
    assert store.get_profile(db, fleet.agency_a, resident).source is None
    russian = fleet.client.get(f"/residents/{resident}/benefits?lang=ru").text
    assert "Сведения удалены" not in russian and "Подопечный ещё ничего не сообщал" in russian

    sign_in(fleet, "admin@b.example")
    assert fleet.client.get(f"/residents/{resident}/benefits").status_code == 404
