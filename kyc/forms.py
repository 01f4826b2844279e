"""Browser forms of the wizard. They turn bad input into messages naming the field; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Organisation
from core.names import NameField, validate_names
from kyc.countries import COUNTRY_CHOICES
from kyc.models import CompanyProfile, Document, OperatorCategory, Person, SubjectType, WalletAddress
from kyc.validation import validate_country, validate_lei

_COUNTRY_FIELD_CHOICES = [("", "—"), *COUNTRY_CHOICES]


def split_list(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


def validate_country_list(value: str) -> list[str]:
    codes = split_list(value)
    return [validate_country(code) for code in codes]


class ListField(forms.CharField):
    """A comma- or line-separated list, shown as text."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        return split_list(super().to_python(value) or "")


class NameListField(ListField):
    """Other, former or trading names: each one normalised, invisible characters refused naming the character."""

    def clean(self, value: Any) -> list[str]:
        text = value if isinstance(value, str) else ", ".join(value or [])
        if self.max_length is not None and len(text) > self.max_length:
            raise ValidationError(
                f"Keep the list under {self.max_length} characters (it has {len(text)}).", code="max_length"
            )
        items = self.to_python(value)
        if self.required and not items:
            raise ValidationError("Give at least one name.", code="required")
        return validate_names(items)


class CountryListField(ListField):
    def clean(self, value: Any) -> list[str]:
        items = self.to_python(value)
        if self.required and not items:
            raise ValidationError("Give at least one country (ISO codes such as GB, DE).", code="required")
        try:
            return [validate_country(code) for code in items]
        except ValidationError as exc:
            raise ValidationError(exc.messages[0], code="country") from exc


def _country(label: str, required: bool = False) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=_COUNTRY_FIELD_CHOICES, required=required)


class NewApplicationForm(forms.Form):
    subject_type = forms.ChoiceField(label="Application type", choices=SubjectType.choices, widget=forms.RadioSelect)
    organisation = forms.ModelChoiceField(
        label="On behalf of", queryset=Organisation.objects.none(), required=False, to_field_name="public_id"
    )
    operator_category = forms.ChoiceField(
        label="Operator category (node operators only)",
        choices=[("", "—"), *OperatorCategory.choices],
        required=False,
    )

    # Registering the organisation here is the first step of a company's first application: no other page first.
    organisation_name = forms.CharField(label="Registered legal name", max_length=200, required=False)
    organisation_country = forms.ChoiceField(
        label="Country of incorporation", choices=[("", "— choose the country —"), *COUNTRY_CHOICES], required=False
    )
    organisation_lei = forms.CharField(
        label="LEI (20 characters), if the organisation has one", max_length=24, required=False
    )
    NEW_ORGANISATION_FIELDS = ("organisation_name", "organisation_country", "organisation_lei")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(memberships__user=user)  # type: ignore[attr-defined]
        self.fields["organisation"].empty_label = "— a new organisation (fill in below) —"  # type: ignore[attr-defined]

    def clean_organisation_lei(self) -> str:
        value = self.cleaned_data.get("organisation_lei", "").strip()
        if not value:
            return ""
        try:
            return validate_lei(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages[0], code="lei") from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        company = data.get("subject_type") in (SubjectType.INSTITUTION, SubjectType.OPERATOR_COMPANY)
        if company and not data.get("organisation"):
            if not data.get("organisation_name"):
                self.add_error(
                    "organisation_name",
                    "Choose one of your organisations above, or give the legal name of the organisation to register.",
                )
            if not data.get("organisation_country"):
                self.add_error("organisation_country", "Choose the organisation's country of incorporation.")
        return data

    def new_organisation(self) -> dict[str, str] | None:
        data = self.cleaned_data
        if data.get("organisation") or not data.get("organisation_name"):
            return None
        return {
            "name": data["organisation_name"],
            "country": data.get("organisation_country", ""),
            "lei": data.get("organisation_lei", ""),
        }


class DetailsForm(forms.Form):
    operator_category = forms.ChoiceField(
        label="Operator category", choices=[("", "—"), *OperatorCategory.choices], required=False
    )
    expected_volume_eth = forms.DecimalField(
        label="Expected staking volume (ETH)", min_value=Decimal("0"), max_digits=20, decimal_places=2
    )
    source_of_funds = forms.CharField(
        label="Source of the funds to be staked", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def __init__(self, *args: Any, is_operator: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_operator:
            self.fields["operator_category"].required = True
        else:
            del self.fields["operator_category"]


class PersonForm(forms.Form):
    """The KYC fields of a person; which ones show depends on the role."""

    legal_name = NameField(label="Full legal name", max_length=300)
    other_names = NameListField(label="Other names (aliases), comma-separated", required=False, max_length=1000)
    former_names = NameListField(label="Former names, comma-separated", required=False, max_length=1000)
    date_of_birth = forms.DateField(label="Date of birth", widget=forms.DateInput(attrs={"type": "date"}))
    nationalities = CountryListField(label="Nationalities (ISO codes, comma-separated, e.g. GB, IE)")
    country_of_residence = _country("Country of residence", required=True)
    residential_address = forms.CharField(
        label="Residential address", widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    tax_residence = _country("Tax residence")
    occupation = forms.CharField(label="Occupation", max_length=200, required=False)
    source_of_funds = forms.CharField(
        label="Source of funds", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
    source_of_wealth = forms.CharField(
        label="Source of wealth", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )
    pep_status = forms.ChoiceField(
        label="Politically exposed person (self-declaration)", choices=[("", "—"), *Person.PepStatus.choices]
    )
    pep_details = forms.CharField(
        label="If so: position, country and dates", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    id_document_type = forms.ChoiceField(
        label="Identity document", choices=[("", "—"), *Person.IdDocumentType.choices], required=False
    )
    id_document_number = forms.CharField(label="Document number", max_length=64, required=False)
    id_document_country = _country("Issuing country")
    id_document_expiry = forms.DateField(
        label="Expiry date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ownership_percent = forms.DecimalField(
        label="Ownership or control (%)", min_value=Decimal("25"), max_value=Decimal("100"), decimal_places=2
    )
    ownership_indirect = forms.BooleanField(label="Held indirectly (through other entities)", required=False)
    ownership_chain = forms.CharField(
        label="Through which entities", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    position = forms.CharField(label="Position", max_length=200, required=False)

    ROLE_FIELDS: dict[str, tuple[str, ...]] = {
        Person.Role.SUBJECT: (
            "legal_name",
            "other_names",
            "former_names",
            "date_of_birth",
            "nationalities",
            "country_of_residence",
            "residential_address",
            "tax_residence",
            "occupation",
            "source_of_funds",
            "source_of_wealth",
            "pep_status",
            "pep_details",
            "id_document_type",
            "id_document_number",
            "id_document_country",
            "id_document_expiry",
        ),
    }

    def __init__(self, *args: Any, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = set(self.ROLE_FIELDS[Person.Role.SUBJECT])
        if role == Person.Role.UBO:
            keep |= {"ownership_percent", "ownership_indirect", "ownership_chain"}
        elif role in (Person.Role.DIRECTOR, Person.Role.SIGNATORY, Person.Role.SENIOR_MANAGER):
            keep |= {"position"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if role == Person.Role.SUBJECT:
            for name in ("occupation", "source_of_wealth", "id_document_type", "id_document_number"):
                self.fields[name].required = True
            self.fields["id_document_country"].required = True
            self.fields["id_document_expiry"].required = True

    def clean_id_document_expiry(self) -> Any:
        from django.utils import timezone

        value = self.cleaned_data.get("id_document_expiry")
        if value and value < timezone.localdate():
            raise ValidationError(
                f"The identity document expired on {value:%-d %B %Y}: give a document that is still valid.",
                code="id_expired",
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pep_status") in (Person.PepStatus.PEP, Person.PepStatus.RELATIVE) and not data.get("pep_details"):
            self.add_error("pep_details", "Describe the public function (position, country, dates).")
        if data.get("ownership_indirect") and not data.get("ownership_chain"):
            self.add_error("ownership_chain", "Name the entities through which the ownership is held.")
        return data


class CompanyForm(forms.Form):
    legal_name = NameField(label="Registered legal name", max_length=300)
    trading_names = NameListField(label="Trading names, comma-separated", required=False, max_length=1000)
    former_names = NameListField(label="Former registered names, comma-separated", required=False, max_length=1000)
    registration_number = forms.CharField(label="Registration number", max_length=64)
    lei = forms.CharField(label="LEI (Legal Entity Identifier, 20 characters)", max_length=24, required=False)
    jurisdiction = _country("Jurisdiction of incorporation", required=True)
    incorporation_date = forms.DateField(label="Date of incorporation", widget=forms.DateInput(attrs={"type": "date"}))
    registered_address = forms.CharField(
        label="Registered address", widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    operating_address = forms.CharField(
        label="Operating address (if different)", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    entity_type = forms.ChoiceField(label="Entity type", choices=[("", "—"), *CompanyProfile.EntityType.choices])
    is_regulated = forms.BooleanField(label="Regulated by a financial authority", required=False)
    regulator = forms.CharField(label="Regulator", max_length=200, required=False)
    licence_number = forms.CharField(label="Licence number", max_length=100, required=False)
    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    business_description = forms.CharField(
        label="What the business does", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def clean_lei(self) -> str:
        value = self.cleaned_data.get("lei", "")
        return validate_lei(value) if value else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_regulated"):
            for name in ("regulator", "licence_number"):
                if not data.get(name):
                    self.add_error(name, "A regulated company names its regulator and licence number.")
        return data


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="Document", choices=Document.Kind.choices)
    person = forms.ChoiceField(label="Whose document (people's ID)", required=False)
    file = forms.FileField(label="File (PDF, JPEG or PNG)")

    def __init__(self, *args: Any, people: list[Person], kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]
        self.people = {str(p.public_id): p for p in people}
        if people:
            self.fields["person"].choices = [("", "The company"), *((k, str(p)) for k, p in self.people.items())]  # type: ignore[attr-defined]
        else:
            del self.fields["person"]


class WalletForm(forms.Form):
    address = forms.CharField(label="Address", max_length=42, widget=forms.TextInput(attrs={"placeholder": "0x…"}))
    label = forms.CharField(label="Label", max_length=100)
    purpose = forms.ChoiceField(label="Purpose", choices=WalletAddress.Purpose.choices)

    def __init__(self, *args: Any, is_operator: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not is_operator:
            self.fields["purpose"].choices = [  # type: ignore[attr-defined]
                c for c in WalletAddress.Purpose.choices if c[0] != WalletAddress.Purpose.FEE_RECIPIENT
            ]


class PastedProofForm(forms.Form):
    message = forms.CharField(widget=forms.HiddenInput)
    signature = forms.CharField(
        label="Signature (0x… hex, from your offline or custody wallet)", widget=forms.TextInput, max_length=5000
    )
