"""Encryption of router passwords at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The keys live outside the database (``settings.MIKROMON_FERNET_KEYS``: the
``fernet.key`` file in the data directory or ``$MIKROMON_FERNET_KEY``), so a copy
of the database alone does not reveal router passwords. The first key encrypts;
every key listed decrypts, which allows rotating keys.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from mikromon.domain.errors import ConfigError


class PasswordDecryptError(ConfigError):
    """A stored password cannot be decrypted with the configured keys."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ConfigError("no Fernet key configured (MIKROMON_FERNET_KEY or fernet.key)")
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, UnicodeEncodeError) as err:
        raise ConfigError(
            "the Fernet key (MIKROMON_FERNET_KEY or fernet.key in the data directory) is "
            "not valid: it must be 32 bytes in URL-safe base64 (44 characters)"
        ) from err


def _current() -> MultiFernet:
    return _fernet(tuple(settings.MIKROMON_FERNET_KEYS))


def encrypt(plaintext: str) -> str:
    """Return ``plaintext`` encrypted with the first configured key, as ASCII text.

    Raises:
        ConfigError: when no valid key is configured.
    """
    return _current().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, what: str = "a stored password") -> str:
    """Return the plaintext of ``token`` (from :func:`encrypt`).

    Args:
        token: the stored ciphertext.
        what: what the token is, for the error message (``password of device "r1"``).

    Raises:
        PasswordDecryptError: when no configured key decrypts it (the key file
            was replaced or ``MIKROMON_FERNET_KEY`` differs from the one used to
            store it) or the token is damaged.
    """
    try:
        return _current().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as err:
        raise PasswordDecryptError(
            f"cannot decrypt {what}: it was encrypted with a different key than "
            "MIKROMON_FERNET_KEY / fernet.key in the data directory (restore that key, "
            "or enter the password again)"
        ) from err
