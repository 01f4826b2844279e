"""The technical due-diligence checklist staff assess before approving an operator."""

from __future__ import annotations

from operators.models import Category

# (key, label, categories it applies to: None = all)
CHECKLIST: list[tuple[str, str, frozenset[str] | None]] = [
    ("client_versions", "Execution and consensus clients on supported, current releases", None),
    ("key_management", "Validator keys in a remote signer or HSM; slashing-protection database kept", None),
    ("no_double_signing", "Failover procedure that cannot run the same key twice", None),
    ("monitoring", "Monitoring and alerting with a named on-call contact", None),
    ("host_security", "Host hardening, access control and patching", None),
    ("mev_relays", "MEV relays used are on the pool's allowed list", None),
    ("exit_readiness", "Can sign and broadcast a voluntary exit within the pool's deadline", None),
    (
        "dvt_configuration",
        "DVT configuration checked: cluster members, threshold, SSV operator ids",
        frozenset({Category.SSV_OPERATOR, Category.OBOL_CLUSTER}),
    ),
]
LABELS = {key: label for key, label, _ in CHECKLIST}


def keys_for(category: str) -> list[str]:
    return [key for key, _, cats in CHECKLIST if cats is None or category in cats]
