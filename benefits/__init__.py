"""Benefits and social services: catalog, eligibility engine, appointments, ratings, complaints.

Domain package: never imports `robot` or `fleet`.

The catalog (`benefits/data/*.yaml`, or JSON from the fleet) holds agencies, named dated
parameters, shared rules and measures; `load_catalog` / `catalog_from_data` check it.
`parse_profile` checks what is known about a resident against the fixed fact vocabulary
(`FACTS`). `check_all` / `check_measure` answer eligible / not_eligible / unknown with
reasons and the missing facts; `questions_to_ask` says which facts to ask for first.
A fact known only roughly (a birth year, an income band) is a `facts.Between`.

The robot's voice: `benefits.interview` (the interview, the answer, booking and
consent), `benefits.explain` (one measure), `benefits.answers` (reading spoken
answers) and `benefits.speech` (the phrases).
"""

from benefits.catalog import DEFAULT_CATALOG, Catalog, catalog_from_data, load_catalog
from benefits.engine import MeasureResult, Reason, check_all, check_measure, questions_to_ask
from benefits.errors import BenefitsError, CatalogError, ProfileError
from benefits.facts import FACTS, INPUT_FACTS, Profile, parse_profile

__all__ = [
    "DEFAULT_CATALOG",
    "FACTS",
    "INPUT_FACTS",
    "BenefitsError",
    "Catalog",
    "CatalogError",
    "MeasureResult",
    "Profile",
    "ProfileError",
    "Reason",
    "catalog_from_data",
    "check_all",
    "check_measure",
    "load_catalog",
    "parse_profile",
    "questions_to_ask",
]
