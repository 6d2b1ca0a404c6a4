"""What a benefits catalog is: the document an agency edits and the fleet sends to robots.

The catalog is plain data (YAML files in `benefits/data/`, JSON on the wire):
agencies, named dated parameters, shared named rules, and measures. A measure's
`eligibility` is kept here as raw JSON; `benefits.catalog` compiles and checks
it against the fact vocabulary, the parameters and the shared rules.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"

MeasureType = Literal["payment", "compensation", "service", "in_kind", "pension_supplement"]
AgencyKind = Literal["social_protection", "social_fund", "social_service_centre", "mfc"]
Channel = Literal["automatic", "mfc", "gosuslugi", "agency_office", "post", "phone", "home_visit"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Text(Strict):
    """The same words in Russian and English."""

    ru: str = Field(min_length=1, max_length=2000)
    en: str = Field(min_length=1, max_length=2000)

    def get(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en


class Source(Strict):
    """Where a fact was checked, and when."""

    url: HttpUrl
    checked_on: date
    # False where the fact could not be confirmed from a primary source.
    verified: bool = True
    note: str = Field(default="", max_length=1000)


class LegalBasis(Strict):
    act: Text
    article: Text | None = None
    url: HttpUrl | None = None


class Agency(Strict):
    """Who grants or delivers measures, and how to reach them (Perm Krai for now)."""

    id: str = Field(pattern=ID_PATTERN, max_length=100)
    name: Text
    kind: AgencyKind
    region: str | None = Field(default=None, pattern=r"^RU-[A-Z]{2,3}$")
    does: Text
    address: Text | None = None
    phone: str | None = Field(default=None, max_length=100)
    website: HttpUrl | None = None
    hours: Text | None = None
    source: Source | None = None

    def contacts(self, lang: str) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name.get(lang),
            "kind": self.kind,
            "does": self.does.get(lang),
            "address": self.address.get(lang) if self.address else None,
            "phone": self.phone,
            "website": str(self.website) if self.website else None,
            "hours": self.hours.get(lang) if self.hours else None,
            "verified": bool(self.source and self.source.verified),
        }


class ParameterValue(Strict):
    """One value of a parameter over a period (and, for a regional parameter, a region)."""

    value: Decimal
    valid_from: date
    valid_to: date | None = None  # inclusive; None: until the next value
    region: str | None = Field(default=None, pattern=r"^RU-[A-Z]{2,3}$")
    source: Source

    @model_validator(mode="after")
    def _ordered(self) -> ParameterValue:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self


class Parameter(Strict):
    """A named number the law sets and changes over time, e.g. a subsistence minimum."""

    id: str = Field(pattern=ID_PATTERN, max_length=100)
    title: Text
    unit: Literal["rub", "ratio", "years"]
    # A regional parameter has one series of values per region; the profile's region picks it.
    regional: bool = False
    values: list[ParameterValue] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _regions_match(self) -> Parameter:
        for index, item in enumerate(self.values):
            if self.regional and item.region is None:
                raise ValueError(f"values[{index}]: a regional parameter needs a region")
            if not self.regional and item.region is not None:
                raise ValueError(f"values[{index}]: region given for a non-regional parameter")
        return self


class Amount(Strict):
    """How much, from when; a number only where it was checked against a source."""

    amount_rub: Decimal | None = Field(default=None, ge=0)
    description: Text | None = None
    valid_from: date
    valid_to: date | None = None
    source: Source

    @model_validator(mode="after")
    def _says_something(self) -> Amount:
        if self.amount_rub is None and self.description is None:
            raise ValueError("an amount needs amount_rub or a description")
        return self


class HowToApply(Strict):
    automatic: bool
    channels: list[Channel] = Field(min_length=1, max_length=10)
    documents: list[Text] = Field(default_factory=list, max_length=30)
    notes: Text | None = None


class Measure(Strict):
    """One payment, compensation, service or in-kind support, and who may get it."""

    id: str = Field(pattern=ID_PATTERN, max_length=100)
    title: Text
    summary: Text
    type: MeasureType
    level: Literal["federal", "regional"]
    region: str | None = Field(default=None, pattern=r"^RU-[A-Z]{2,3}$")
    agency: str = Field(pattern=ID_PATTERN)
    other_agencies: list[str] = Field(default_factory=list, max_length=10)
    legal_basis: list[LegalBasis] = Field(min_length=1, max_length=20)
    amounts: list[Amount] = Field(default_factory=list, max_length=50)
    how_to_apply: HowToApply
    valid_from: date | None = None
    valid_to: date | None = None
    # The rule as data: all / any / not / {rule: name} / {fact, op, value | param}.
    eligibility: dict[str, Any]
    # What a maintainer should know: what is unverified, what the rule simplifies.
    notes: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _level_and_region(self) -> Measure:
        if self.level == "regional" and self.region is None:
            raise ValueError("a regional measure needs a region")
        if self.level == "federal" and self.region is not None:
            raise ValueError("a federal measure has no region (use null)")
        return self

    def in_force(self, on: date) -> bool:
        starts = self.valid_from is None or self.valid_from <= on
        return starts and (self.valid_to is None or on <= self.valid_to)

    def amount_on(self, on: date) -> Amount | None:
        """The amount in force on a date: the latest that started by then and has not ended."""
        current = [
            item
            for item in self.amounts
            if item.valid_from <= on and (item.valid_to is None or on <= item.valid_to)
        ]
        return max(current, key=lambda item: item.valid_from, default=None)


class CatalogDocument(Strict):
    """A whole catalog: what `cfg/benefits` will carry to the robots."""

    version: str = Field(default="", max_length=100)
    agencies: list[Agency] = Field(default_factory=list, max_length=1000)
    parameters: list[Parameter] = Field(default_factory=list, max_length=1000)
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict, max_length=1000)
    measures: list[Measure] = Field(default_factory=list, max_length=2000)
