"""``endpoint(host, port)``: host:port as printed everywhere, IPv6 in brackets; and
``validate_host``: what a host is, and what the message says when it is not."""

from __future__ import annotations

import pytest

from mikromon.domain.devices import DeviceConfig, endpoint, validate_host
from mikromon.domain.errors import ConfigError


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


@pytest.mark.parametrize("text", ["http://x", "https://router.example.net/", "x:8728",
                                  "192.0.2.1:8728", "[::1]:8728", "two words", "",
                                  "   ", "[x]", "ftp://[::1]"])
def test_odd_hosts_say_what_a_host_is(text) -> None:
    with pytest.raises(ConfigError) as err:
        validate_host(text)
    message = str(err.value)
    assert "not a valid IPv6 address" not in message
    assert "not a host name or IP address" in message or "empty" in message, message


@pytest.mark.parametrize(("text", "host"), [("[::1]", "::1"), (" r1.example ", "r1.example"),
                                            ("fe80::1%eth0", "fe80::1%eth0")])
def test_good_hosts(text, host) -> None:
    assert validate_host(text) == host
