"""TLS for the emulated API-SSL port, in the two modes RouterOS has.

* ``"cert"``: the service has a certificate; ordinary TLS with a self-signed RSA
  certificate for ``127.0.0.1``/``localhost`` generated once per process.
* ``"adh"``: no certificate (``certificate=none``): RouterOS then offers only
  anonymous Diffie-Hellman suites, so TLS 1.2 at most. The server loads the RFC 7919
  ``ffdhe2048`` group, computed here from the RFC's defining formula.

Sources: shared/ROUTEROS-API.md §8 (MikroTik ip/service reference, API page; client
settings from mktxp, community.routeros, check_routeros). Key material lives in a
private temporary folder removed at exit (``ssl`` loads PEM files only by path).
"""

from __future__ import annotations

import atexit
import base64
import datetime
import functools
import ipaddress
import shutil
import ssl
import tempfile
from pathlib import Path
from typing import Final, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

TlsMode = Literal["cert", "adh"]
#: The API-SSL modes (``cert``: self-signed certificate; ``adh``: anonymous DH).
TLS_MODES: Final = ("cert", "adh")
#: Cipher string of a router without a certificate (and of its clients).
ADH_CIPHERS: Final = "ADH:@SECLEVEL=0"


def _euler_bits(bits: int) -> int:
    """Return ``floor(e * 2**bits)`` using exact integer arithmetic."""
    guard = bits + 64
    one = 1 << guard
    total, term, k = 0, one, 0
    while term:
        total += term
        k += 1
        term //= k
    return total >> 64


@functools.cache
def ffdhe2048_prime() -> int:
    """The RFC 7919 ffdhe2048 prime: ``2^2048 - 2^1984 + (floor(2^1918 * e) + 560316)
    * 2^64 - 1`` (RFC 7919 appendix A.1; generator 2)."""
    return 2**2048 - 2**1984 + (_euler_bits(1918) + 560316) * 2**64 - 1


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def _der_integer(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")  # leading 0 keeps it positive
    return b"\x02" + _der_length(len(raw)) + raw


@functools.cache
def ffdhe2048_pem() -> bytes:
    """The ffdhe2048 group as PKCS#3 ``DH PARAMETERS`` PEM (what ``load_dh_params``
    reads): DER ``SEQUENCE { INTEGER p, INTEGER g=2 }``."""
    body = _der_integer(ffdhe2048_prime()) + _der_integer(2)
    der = b"\x30" + _der_length(len(body)) + body
    b64 = base64.b64encode(der).decode("ascii")
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    text = "-----BEGIN DH PARAMETERS-----\n" + "\n".join(lines) + "\n-----END DH PARAMETERS-----\n"
    return text.encode("ascii")


@functools.cache
def _folder() -> Path:
    path = Path(tempfile.mkdtemp(prefix="mikromon-emulator-tls-"))
    atexit.register(shutil.rmtree, path, True)
    return path


@functools.cache
def certificate() -> tuple[bytes, bytes]:
    """Return ``(certificate PEM, private key PEM)`` of the process's self-signed
    certificate (RSA 2048, CN ``mikromon-emulator``, SAN 127.0.0.1, ::1, localhost,
    valid from one day ago for ten years)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mikromon-emulator")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
            x509.DNSName("localhost"),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _write(name: str, data: bytes) -> Path:
    path = _folder() / name
    path.write_bytes(data)
    path.chmod(0o600)
    return path


@functools.cache
def server_context(mode: TlsMode) -> ssl.SSLContext:
    """Return the (shared, cached) server context for an API-SSL ``mode``.

    Raises:
        ValueError: ``mode`` is not ``"cert"`` or ``"adh"``.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if mode == "cert":
        cert_pem, key_pem = certificate()
        ctx.load_cert_chain(_write("cert.pem", cert_pem), _write("key.pem", key_pem))
    elif mode == "adh":
        ctx.set_ciphers(ADH_CIPHERS)
        ctx.load_dh_params(str(_write("ffdhe2048.pem", ffdhe2048_pem())))
    else:
        raise ValueError(f"unknown API-SSL mode {mode!r}; choose one of {', '.join(TLS_MODES)}")
    return ctx


def client_context(mode: TlsMode, verify: bool = False) -> ssl.SSLContext:
    """Return a client context that can talk to an emulated API-SSL port.

    Args:
        mode: ``"adh"`` gives the anonymous-DH settings a real client needs for a
            router without a certificate (``ADH:@SECLEVEL=0``, no verification);
            ``"cert"`` gives a normal TLS client.
        verify: for ``"cert"``: trust the emulator's certificate and check the host
            name; otherwise verification is off (as for a self-signed router).

    Raises:
        ValueError: unknown mode.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if mode == "adh":
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(ADH_CIPHERS)
    elif mode == "cert":
        if verify:
            ctx.load_verify_locations(cadata=certificate()[0].decode("ascii"))
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
    else:
        raise ValueError(f"unknown API-SSL mode {mode!r}; choose one of {', '.join(TLS_MODES)}")
    return ctx
