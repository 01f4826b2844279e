"""ISO 3166-1 alpha-2 codes: the list lives in core (organisations in accounts need it too)."""

from __future__ import annotations

from core.countries import COUNTRIES, COUNTRY_CHOICES, COUNTRY_CODES

__all__ = ["COUNTRIES", "COUNTRY_CHOICES", "COUNTRY_CODES"]
