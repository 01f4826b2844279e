"""Browser forms of the accounts app. They turn bad input into messages naming the field; services decide."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Organisation
from core.countries import COUNTRY_CHOICES
from core.identifiers import validate_lei

COUNTRY_SELECT_CHOICES = [("", "— choose the country —"), *COUNTRY_CHOICES]


class OrganisationForm(forms.Form):
    """An institution or node-operator company, registered by the member who becomes its owner."""

    name = forms.CharField(label="Registered legal name", max_length=200)
    kind = forms.ChoiceField(label="Kind of organisation", choices=Organisation.Kind.choices, widget=forms.RadioSelect)
    country = forms.ChoiceField(label="Country of incorporation", choices=COUNTRY_SELECT_CHOICES)
    lei = forms.CharField(
        label="LEI (Legal Entity Identifier, 20 characters), if the organisation has one",
        max_length=24,
        required=False,
    )

    def clean_lei(self) -> str:
        value = self.cleaned_data.get("lei", "").strip()
        if not value:
            return ""
        try:
            return validate_lei(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages[0], code="lei") from exc
