"""API-SSL modes against a scripted TLS server with a self-signed certificate."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from routeros_scripted import DONE, re, scripted
from test_client_scripted import config

from mikromon.domain.devices import TlsVerify
from mikromon.domain.errors import DeviceUnreachable, TlsSetupFailed
from mikromon.routeros.client import connect
from mikromon.routeros.tls import tls_context


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed EC certificate for 127.0.0.1 (CA:true so it can be its own trust root)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-router")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def server_context(cert_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*cert_files)
    return context


def handler(words: list[str]) -> bytes:
    return re(name="ether1") + DONE


async def test_no_verify_accepts_self_signed(server_context: ssl.SSLContext) -> None:
    async with scripted(handler, ssl=server_context) as router:
        client = await connect(config(router.port, use_ssl=True, tls_verify=TlsVerify.NO_VERIFY))
        assert await client.print("/interface", ["name"]) == [{"name": "ether1"}]
        await client.close()


async def test_verify_rejects_self_signed_and_never_falls_back(
    server_context: ssl.SSLContext,
) -> None:
    async with scripted(handler, ssl=server_context) as router:
        with pytest.raises(TlsSetupFailed, match="certificate rejected") as info:
            await connect(config(router.port, use_ssl=True))
    assert "self-signed" in str(info.value)
    assert "no-verify" in str(info.value)
    assert router.received == []  # no plaintext login was tried
    assert router.connections <= 1


async def test_verify_accepts_trusted_certificate(
    server_context: ssl.SSLContext, cert_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_files[0]))  # read by the default CA paths
    async with scripted(handler, ssl=server_context) as router:
        client = await connect(config(router.port, use_ssl=True, tls_verify=TlsVerify.VERIFY))
        assert await client.print("/interface", ["name"]) == [{"name": "ether1"}]
        await client.close()


async def test_anonymous_dh_against_certificate_only_server_fails_cleanly(
    server_context: ssl.SSLContext,
) -> None:
    async with scripted(handler, ssl=server_context) as router:
        with pytest.raises(TlsSetupFailed, match="handshake refused") as info:
            await connect(config(router.port, use_ssl=True, tls_verify=TlsVerify.ANONYMOUS_DH))
    assert info.value.cause == "certificate-present"
    assert router.received == []


async def test_tls_client_against_plain_server_fails_cleanly() -> None:
    # The plain server answers the ClientHello with an API reply (then OpenSSL says
    # "wrong version number") or keeps waiting (then the connect deadline passes).
    async with scripted(handler) as router:
        with pytest.raises((DeviceUnreachable, TlsSetupFailed), match="edge-1") as info:
            await connect(config(router.port, use_ssl=True, tls_verify=TlsVerify.NO_VERIFY,
                                 connect_timeout=1.0))
    if isinstance(info.value, TlsSetupFailed):
        assert info.value.cause == "not-tls"
        assert "8729" in str(info.value)


def test_context_settings() -> None:
    verify = tls_context(TlsVerify.VERIFY)
    assert verify.check_hostname
    assert verify.verify_mode == ssl.CERT_REQUIRED
    no_verify = tls_context(TlsVerify.NO_VERIFY)
    assert not no_verify.check_hostname
    assert no_verify.verify_mode == ssl.CERT_NONE
    adh = tls_context(TlsVerify.ANONYMOUS_DH)
    assert adh.maximum_version == ssl.TLSVersion.TLSv1_2
    assert adh.verify_mode == ssl.CERT_NONE
    offered = [c["name"] for c in adh.get_ciphers() if c["protocol"] != "TLSv1.3"]
    assert offered
    assert all(name.startswith("ADH-") for name in offered)
