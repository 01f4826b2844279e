from __future__ import annotations

from typing import Any, cast

from django import forms

from integrations.models import EventType
from integrations.services import endpoint_url_problems


class EndpointForm(forms.Form):
    organisation = forms.ChoiceField(label="Organisation")
    url = forms.CharField(
        label="Endpoint URL",
        max_length=500,
        help_text="HTTPS only. We POST signed JSON here; redirects are not followed.",
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label="Events", choices=EventType.choices, widget=forms.CheckboxSelectMultiple, initial=EventType.values
    )

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.public_id): o for o in organisations}
        field = cast(forms.ChoiceField, self.fields["organisation"])
        field.choices = [(k, o.name) for k, o in self.organisations.items()]
        if len(self.organisations) == 1:
            self.fields["organisation"].initial = next(iter(self.organisations))

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"]).strip()
        problems = endpoint_url_problems(url)
        if problems:
            raise forms.ValidationError(problems)
        return url
