"""Identity verification sessions: what a page needs to let a person verify themselves with the configured identity
provider (today Sumsub's WebSDK). Takes the caller's opaque subject reference, knows no application."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from screening.base import ProviderUnavailable, get_provider
from screening.http import ProviderRejected


@dataclass(frozen=True)
class IdentitySession:
    provider: str
    access_token: str
    sdk_url: str


def identity_provider_name() -> str:
    """The configured identity provider, or "" when identity is verified by document review only."""
    return str(settings.SCREENING_PROVIDERS.get("identity") or "")


def identity_session_start(*, subject_ref: str, email: str = "") -> IdentitySession | None:
    """A fresh access token for the provider's embedded SDK, for the person known to the provider by
    `subject_ref` (the external user id the identity check uses). None when no provider embeds a session.
    Raises ProviderUnavailable when the provider cannot be reached or refuses."""
    name = identity_provider_name()
    if name != "sumsub":
        return None
    from screening.providers.sumsub import SumsubProvider

    provider = get_provider(name)
    if not isinstance(provider, SumsubProvider):
        raise ProviderUnavailable(f"the identity provider {name} offers no embedded session")
    try:
        token = provider.access_token(
            external_user_id=subject_ref, ttl_seconds=settings.SUMSUB_ACCESS_TOKEN_TTL_SECONDS
        )
    except ProviderRejected as exc:
        raise ProviderUnavailable(f"sumsub refused the access token: {exc}") from exc
    return IdentitySession(provider=name, access_token=token.token, sdk_url=settings.SUMSUB_WEBSDK_URL)
