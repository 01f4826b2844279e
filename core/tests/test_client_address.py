from __future__ import annotations

from django.test import RequestFactory, override_settings
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from core.middleware import client_ip

SPOOFED = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}


def _throttle_ident(**meta: str) -> str:
    return BaseThrottle().get_ident(Request(RequestFactory().get("/api/v1/", **meta)))


def test_without_a_proxy_a_forged_forwarded_for_header_changes_no_client_address() -> None:
    # Rate limits key on the client address: a header the client writes itself must not pick that key.
    assert api_settings.NUM_PROXIES == 0
    assert _throttle_ident(**SPOOFED) == "203.0.113.7"
    assert client_ip(RequestFactory().get("/", **SPOOFED)) == "203.0.113.7"


@override_settings(NUM_PROXIES=1, REST_FRAMEWORK={"NUM_PROXIES": 1})
def test_behind_one_proxy_the_address_it_appended_is_the_client() -> None:
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.7"}
    assert _throttle_ident(**meta) == "203.0.113.7"
    assert client_ip(RequestFactory().get("/", **meta)) == "203.0.113.7"
