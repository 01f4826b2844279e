"""Forms: they turn what people type into clean values and say what is accepted; services do the rest."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from accounts.forms import COUNTRY_SELECT_CHOICES
from core.countries import COUNTRY_CODES
from core.ethaddress import parse_address
from core.names import NameField
from operators.models import (
    NODE_FIELDS,
    PROFILE_FIELDS,
    DueDiligenceItem,
    ExitRequest,
    Node,
    OperatorAddress,
    OperatorProfile,
)

VERSION_HELP = "As reported by the client, e.g. 1.16.3."


def _iso_country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise forms.ValidationError(f"“{value}” is not a country: choose it from the list (ISO 3166-1 codes).")
    return code


class CountrySelectField(forms.ChoiceField):
    """A select of ISO 3166-1 codes; a code sent in lower case (API-minded scripts posting the form) is accepted."""

    def to_python(self, value: Any) -> str:
        return super().to_python(value).strip().upper()


def _country_select(form: forms.BaseForm) -> None:
    # A select of ISO codes: typed free text ("Portugal") used to be cut to its first two letters ("PO").
    field = form.fields["country"]
    form.fields["country"] = CountrySelectField(
        label=field.label, choices=COUNTRY_SELECT_CHOICES, required=field.required, help_text=field.help_text
    )


class CommaListField(forms.CharField):
    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


class OperatorProfileForm(forms.ModelForm[OperatorProfile]):
    # The operator's name is screened (a company's or an individual's): normalised, invisible characters refused.
    name = NameField(max_length=200)
    mev_relays = CommaListField(required=False, help_text="Comma-separated, e.g. flashbots, ultrasound, aestus.")
    other_networks = CommaListField(required=False, help_text="Comma-separated, e.g. Gnosis, Lido CSM, Polygon.")
    ssv_operator_ids = CommaListField(required=False, help_text="SSV operators only: comma-separated numeric ids.")

    class Meta:
        model = OperatorProfile
        fields = list(PROFILE_FIELDS)
        help_texts = {"execution_client_version": VERSION_HELP, "consensus_client_version": VERSION_HELP}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _country_select(self)
        self.fields["hosting_provider"].required = False
        if self.instance.pk:
            for name in ("mev_relays", "other_networks", "ssv_operator_ids"):
                self.initial[name] = ", ".join(str(x) for x in getattr(self.instance, name) or [])

    def clean_country(self) -> str:
        return _iso_country(self.cleaned_data.get("country") or "")

    def clean_ssv_operator_ids(self) -> list[int]:
        values = self.cleaned_data.get("ssv_operator_ids") or []
        try:
            ids = [int(v) for v in values]
        except ValueError as exc:
            raise forms.ValidationError("SSV operator ids are whole numbers, e.g. 1, 42, 1337.") from exc
        if any(i <= 0 for i in ids):
            raise forms.ValidationError("SSV operator ids are positive.")
        return ids

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("category") == "ssv_operator" and not data.get("ssv_operator_ids"):
            self.add_error("ssv_operator_ids", "An SSV operator gives its SSV operator ids.")
        if data.get("hosting_type") == "home":
            data["hosting_provider"] = "home"
        elif not (data.get("hosting_provider") or "").strip():
            self.add_error(
                "hosting_provider", "Name the cloud provider or data centre (e.g. AWS, Hetzner, Equinix FR5)."
            )
        return data

    def profile_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AddressForm(forms.Form):
    address = forms.CharField(max_length=42)
    purpose = forms.ChoiceField(choices=OperatorAddress.Purpose.choices)
    label = forms.CharField(max_length=100, required=False)

    def clean_address(self) -> str:
        try:
            return parse_address(self.cleaned_data["address"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ClusterForm(forms.Form):
    name = forms.CharField(max_length=100)
    threshold = forms.IntegerField(min_value=1)
    lock_hash = forms.CharField(max_length=66, required=False, help_text="cluster-lock hash (0x + 64 hex)")
    members = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One member per line: name, 0x address (at least 3 members).",
    )

    def clean_members(self) -> list[tuple[str, str]]:
        members = []
        for n, line in enumerate(self.cleaned_data["members"].splitlines(), start=1):
            if not line.strip():
                continue
            if "," not in line:
                raise forms.ValidationError(f"Line {n}: write 'name, 0x address'.")
            name, address = (part.strip() for part in line.rsplit(",", 1))
            members.append((name, address))
        return members


class DepositDataForm(forms.Form):
    file = forms.FileField(help_text="deposit_data-*.json as written by the staking deposit CLI.")


class LinkApplicationForm(forms.Form):
    application = forms.ChoiceField()

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["application"]).choices = choices


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=OperatorProfile.Status.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)


class ChecklistForm(forms.Form):
    key = forms.CharField(max_length=40)
    result = forms.ChoiceField(choices=DueDiligenceItem.Result.choices)
    note = forms.CharField(required=False, max_length=2000)


class ExitForm(forms.Form):
    validator = forms.CharField(max_length=98, help_text="The validator's public key (0x + 96 hex).")
    kind = forms.ChoiceField(choices=ExitRequest.Kind.choices)
    reason = forms.CharField(max_length=300)


class StaffExitForm(ExitForm):
    """Staff ask for (requested) or impose (forced) exits; voluntary ones come from the operator."""

    kind = forms.ChoiceField(
        choices=[
            (ExitRequest.Kind.REQUESTED, ExitRequest.Kind.REQUESTED.label),
            (ExitRequest.Kind.FORCED, ExitRequest.Kind.FORCED.label),
        ]
    )


class RewardsForm(forms.Form):
    epoch_from = forms.IntegerField(min_value=0)
    epoch_to = forms.IntegerField(min_value=0)
    total_eth = forms.DecimalField(required=False, max_digits=20, decimal_places=9, min_value=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("epoch_from") is not None and data.get("epoch_to") is not None:
            if data["epoch_from"] > data["epoch_to"]:
                raise forms.ValidationError("The first epoch must not come after the last.")
            if data["epoch_to"] - data["epoch_from"] > 225 * 366:
                raise forms.ValidationError("Choose a range of at most a year (82,350 epochs).")
        return data


class CapForm(forms.Form):
    validator_cap = forms.IntegerField(min_value=0, max_value=1_000_000)
    reason = forms.CharField(max_length=300)


class AdjustmentForm(forms.Form):
    epoch = forms.IntegerField(min_value=0)
    amount_eth = forms.DecimalField(max_digits=20, decimal_places=9, help_text="Signed: negative to deduct.")
    reason = forms.CharField(max_length=300)


class AllocationForm(forms.Form):
    validators = forms.IntegerField(min_value=1, max_value=100_000, initial=100)


class NodeForm(forms.ModelForm[Node]):
    mev_relays = CommaListField(required=False, help_text="Comma-separated, e.g. flashbots, ultrasound, aestus.")

    class Meta:
        model = Node
        fields = list(NODE_FIELDS)
        help_texts = {
            "execution_client_version": VERSION_HELP,
            "consensus_client_version": VERSION_HELP,
            "hosting_provider": "Cloud provider or data centre (e.g. AWS, Hetzner, Equinix FR5); empty at home.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _country_select(self)
        self.fields["hosting_provider"].required = False
        if self.instance.pk:
            self.initial["mev_relays"] = ", ".join(self.instance.mev_relays or [])

    def clean_country(self) -> str:
        return _iso_country(self.cleaned_data.get("country") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("hosting_type") == "home":
            data["hosting_provider"] = "home"
        elif not (data.get("hosting_provider") or "").strip():
            self.add_error(
                "hosting_provider", "Name the cloud provider or data centre (e.g. AWS, Hetzner, Equinix FR5)."
            )
        return data

    def node_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class NodeAssignForm(forms.Form):
    pubkeys = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Validator public keys (0x + 96 hex), one per line or comma-separated.",
    )

    def clean_pubkeys(self) -> list[str]:
        text = self.cleaned_data["pubkeys"]
        return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
