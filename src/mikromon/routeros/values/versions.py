"""RouterOS versions as ``/system/resource`` reports them (``7.20.5 (stable)``,
``7.18beta2``): parsed strictly (:func:`parse_version`) or read as far as they go
(:func:`version_hint`).
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from mikromon.domain.errors import ValueParseError
from mikromon.routeros.values.checks import MAX_LEN, value_text

__all__ = ["RouterOSVersion", "parse_version", "version_hint"]

class RouterOSVersion(NamedTuple):
    """A RouterOS version as ``/system/resource`` reports it.

    Attributes:
        major: 6 or 7.
        minor: e.g. 16 in ``7.16.2``.
        patch: e.g. 2 in ``7.16.2``; 0 when absent (``7.20``).
        channel: the release channel in parentheses (``stable``, ``long-term``,
            ``testing``, ``development``), or ``""`` when not printed.
        prerelease: ``beta2`` / ``rc1`` for test builds (``7.18beta2``), else ``""``.

    Tuples compare field by field, so ``version >= (7, 18)`` works for releases;
    use :meth:`at_least` to ignore channel and pre-release tags.
    """

    major: int
    minor: int
    patch: int = 0
    channel: str = ""
    prerelease: str = ""

    def at_least(self, major: int, minor: int = 0, patch: int = 0) -> bool:
        """Return whether the numeric version is ``>= major.minor.patch``.

        A pre-release counts as its target version (``7.18beta2`` is at least 7.18).
        """
        return (self.major, self.minor, self.patch) >= (major, minor, patch)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}"
        if self.patch:
            text += f".{self.patch}"
        text += self.prerelease
        return f"{text} ({self.channel})" if self.channel else text


_VERSION: Final = re.compile(
    r"(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?"
    r"(?P<pre>(?:alpha|beta|rc)\d*)?(?:\s*\((?P<channel>[a-z][a-z-]*)\))?",
    re.ASCII,
)


def parse_version(text: str) -> RouterOSVersion:
    """Parse a RouterOS version string.

    Accepts ``7.16.2 (stable)``, ``6.49.10 (long-term)``, ``7.18beta2``,
    ``7.21rc1 (testing)``, ``7.20``, ``6.49``. Source: system_resource.v7.json
    (``7.20.5 (stable)``), system_resource.v6.json (``6.48.6 (long-term)``).

    Raises:
        ValueParseError: ``kind="version"`` for anything else.
    """
    body = value_text("version", text)
    match = _VERSION.fullmatch(body)
    if not match:
        raise ValueParseError("version", text)
    return RouterOSVersion(
        int(match["major"]), int(match["minor"]), int(match["patch"] or 0),
        match["channel"] or "", match["pre"] or "",
    )


_VERSION_START: Final = re.compile(r"\s*(\d{1,3})(?:\.(\d{1,4})(?:\.(\d{1,4}))?)?(?!\d)",
                                   re.ASCII)


def version_hint(text: object) -> tuple[int, ...]:
    """Return what can be read of a version, however odd the text.

    ``(major, minor, patch)`` when :func:`parse_version` accepts it; else the
    numbers it starts with (``7.x (development)`` -> ``(7,)``, ``7.19beta2-x`` ->
    ``(7, 19)``); ``()`` for text that starts with no version (``garbage``, ``""``,
    ``None``). A major outside 6..99 gives ``()``. Never raises. Source:
    system_resource captures; betas and release candidates as the changelogs
    name them (``7.18beta2``, ``7.16rc1``).
    """
    if not isinstance(text, str):
        return ()
    try:
        parsed = parse_version(text)
    except ValueParseError:
        match = _VERSION_START.match(text[:MAX_LEN])
        if match is None:
            return ()
        parts = tuple(int(p) for p in match.groups() if p is not None)
    else:
        parts = (parsed.major, parsed.minor, parsed.patch)
    return parts if 6 <= parts[0] <= 99 else ()

