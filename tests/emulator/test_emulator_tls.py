"""API-SSL in both RouterOS modes: a self-signed certificate, and anonymous DH only."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess

import librouteros
import pytest
import routeros_api
from emu_raw import RawClient

from mikromon.emulator import tls
from mikromon.emulator.testing import async_emulators


def adh_client() -> ssl.SSLContext:
    """What mktxp / check_routeros do for a router without a certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("ADH:@SECLEVEL=0")
    return ctx


def test_ffdhe2048_group() -> None:
    p = tls.ffdhe2048_prime()
    assert p.bit_length() == 2048
    assert hex(p).startswith("0xffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1")
    assert hex(p).endswith("61285c97ffffffffffffffff")
    assert pow(2, (p - 1) // 2, p) == 1  # 2 generates the prime-order subgroup
    if shutil.which("openssl"):
        reference = subprocess.run(
            ["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
             "group:ffdhe2048"], capture_output=True, check=True).stdout
        assert tls.ffdhe2048_pem() == reference


def test_anonymous_dh_mode(emulators) -> None:
    (r,) = emulators(1, "v7", tls=True, tls_mode="adh")
    with socket.create_connection((r.host, r.tls_port), timeout=5) as raw, \
            adh_client().wrap_socket(raw) as s:
        assert "ADH" in s.cipher()[0]
        assert s.version() == "TLSv1.2"
        assert s.getpeercert(binary_form=True) is None
    api = librouteros.connect(r.host, r.username, r.password, port=r.tls_port,
                              ssl_wrapper=adh_client().wrap_socket)
    try:
        assert list(api.path("/system/identity")) == [{"name": r.identity}]
    finally:
        api.close()
    pool = routeros_api.RouterOsApiPool(r.host, username=r.username, password=r.password,
                                        port=r.tls_port, plaintext_login=True,
                                        ssl_context=adh_client())
    try:
        assert pool.get_api().get_resource("/system/resource").get()[0]["version"] == (
            "7.16.2 (stable)")
    finally:
        pool.disconnect()
    # the plain API port still answers without TLS
    with RawClient(r.host, r.port) as c:
        c.login()


def test_anonymous_dh_mode_refuses_normal_clients(emulators) -> None:
    (r,) = emulators(1, "v7", tls=True, tls_mode="adh")
    ctx = tls.client_context("cert")  # normal ciphers only
    with socket.create_connection((r.host, r.tls_port), timeout=5) as raw, \
            pytest.raises(ssl.SSLError):
        ctx.wrap_socket(raw)


def test_certificate_mode(emulators) -> None:
    (r,) = emulators(1, "v6", tls=True, tls_mode="cert")
    verified = tls.client_context("cert", verify=True)
    with socket.create_connection((r.host, r.tls_port), timeout=5) as raw, \
            verified.wrap_socket(raw, server_hostname="127.0.0.1") as s:
        assert s.getpeercert()["subject"] == ((("commonName", "mikromon-emulator"),),)
        assert s.version() in ("TLSv1.2",)
    api = librouteros.connect(
        r.host, r.username, r.password, port=r.tls_port,
        ssl_wrapper=lambda sock: verified.wrap_socket(sock, server_hostname=r.host))
    try:
        (resource,) = list(api.path("/system/resource"))
        assert resource["version"].startswith("6.49")
    finally:
        api.close()
    with socket.create_connection((r.host, r.tls_port), timeout=5) as raw, \
            pytest.raises(ssl.SSLError):
        adh_client().wrap_socket(raw)  # no anonymous suites when a certificate is set


async def test_async_client_over_tls() -> None:
    async with async_emulators(1, "v7-empty", tls=True, tls_mode="adh") as (r,):
        api = await librouteros.async_connect(r.host, r.username, r.password,
                                              port=r.tls_port, ssl_wrapper=adh_client())
        try:
            rows = [row async for row in api.path("/interface")]
            assert len(rows) == len(r.rates)
        finally:
            await api.close()
    async with async_emulators(1, "v7", tls=True) as (r,):
        api = await librouteros.async_connect(
            r.host, r.username, r.password, port=r.tls_port,
            ssl_wrapper=tls.client_context("cert", verify=True))
        try:
            assert [row async for row in api.path("/system/identity")]
        finally:
            await api.close()


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown API-SSL mode"):
        tls.server_context("psk")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown API-SSL mode"):
        tls.client_context("psk")  # type: ignore[arg-type]
