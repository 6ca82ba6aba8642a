"""``endpoint(host, port)``: host:port as printed everywhere, IPv6 in brackets."""

from __future__ import annotations

import pytest

from mikromon.domain.devices import DeviceConfig, endpoint


@pytest.mark.parametrize(("host", "port", "text"), [
    ("192.0.2.1", 8728, "192.0.2.1:8728"),
    ("router.example.net", 8729, "router.example.net:8729"),
    ("2001:db8::1", 8728, "[2001:db8::1]:8728"),
    ("[2001:db8::1]", 8729, "[2001:db8::1]:8729"),
    ("::1", 8728, "[::1]:8728"),
    ("fe80::1%eth0", 8728, "[fe80::1%eth0]:8728"),
])
def test_endpoint(host, port, text):
    assert endpoint(host, port) == text


def test_config_label_and_endpoint_bracket_ipv6():
    config = DeviceConfig(id=1, name="", host="2001:db8::1", port=8729, username="u",
                          password="p")
    assert config.endpoint == "[2001:db8::1]:8729"
    assert config.label == "[2001:db8::1]:8729"
