"""Errors a person or an agency can fix: a bad profile or a bad catalog."""

from __future__ import annotations

from homecare.errors import HomecareError


class BenefitsError(HomecareError):
    """Something about benefits data is wrong; the message names what and where."""


class ProfileError(BenefitsError):
    """A resident's profile has an unknown fact or a value of the wrong type or range."""


class CatalogError(BenefitsError):
    """A catalog (measures, rules, parameters, agencies) is malformed or inconsistent."""
