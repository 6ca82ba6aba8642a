"""Changing many devices at once: enable, disable, add or remove a tag, move to a
site. One service used by the device list page (``POST /devices/bulk/``) and the
API (``POST /api/v1/devices/bulk``); docs/api.md and docs/operations.md.

Every change is an ORM save or a tag add/remove, so each one bumps
:class:`~mikromon.web.monitor.models.ConfigVersion` (:mod:`.signals`) in the same
transaction and a running collector picks it up within about a second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from mikromon.web.monitor.forms import find_tag, tag_problems
from mikromon.web.monitor.models import Device, Site, Tag

#: The actions, as the page's action bar and the API name them.
BULK_ACTIONS = ("enable", "disable", "add_tag", "remove_tag", "move_site")
#: Most devices changed by one request.
MAX_DEVICES = 10_000


class BulkInvalid(Exception):
    """The request cannot be carried out; nothing was changed.

    Attributes:
        errors: field (``action``, ``devices``, ``tag``, ``site``) -> messages.
    """

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {m}" for k, ms in errors.items() for m in ms))


@dataclass
class BulkResult:
    """What a bulk change did.

    Attributes:
        action: the action carried out.
        changed: names of the devices that changed, in name order.
        unchanged: names of the devices already so.
    """

    action: str
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return ``{"action", "changed", "unchanged"}`` (the API's answer)."""
        return {"action": self.action, "changed": self.changed, "unchanged": self.unchanged}

    def summary(self) -> str:
        """Return one line for people: ``3 devices disabled (1 already so)``."""
        done = {"enable": "enabled", "disable": "disabled", "add_tag": "tagged",
                "remove_tag": "untagged", "move_site": "moved"}[self.action]
        n = len(self.changed)
        text = f"{n} device{'s' if n != 1 else ''} {done}"
        if self.unchanged:
            text += f" ({len(self.unchanged)} already so)"
        return text


def _ids(values: Any, errors: dict[str, list[str]]) -> list[int]:
    if isinstance(values, (str, int)):
        values = [values]
    if not isinstance(values, Iterable) or not values:
        errors["devices"] = ["choose at least one device"]
        return []
    ids: list[int] = []
    for value in values:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            errors["devices"] = [f"{text[:40]!r} is not a device id"]
            return []
        ids.append(int(text))
    if len(ids) > MAX_DEVICES:
        errors["devices"] = [f"at most {MAX_DEVICES} devices at once"]
    return list(dict.fromkeys(ids))


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def check_bulk(data: Mapping[str, Any]) -> tuple[str, list[Device], str]:
    """Check a bulk request: ``action`` (:data:`BULK_ACTIONS`), ``devices`` (ids),
    ``tag`` (add_tag/remove_tag) or ``site`` (move_site; empty: no site).

    Returns:
        ``(action, devices, name)``: the devices in name order, locked for update
        when called inside a transaction; ``name`` the tag or site.

    Raises:
        BulkInvalid: every problem, by field (an unknown action or id, a missing
            or unusable tag name, an unknown tag to remove, a bad site name).
    """
    errors: dict[str, list[str]] = {}
    action = _text(data, "action")
    if action not in BULK_ACTIONS:
        errors["action"] = [f"{action[:40]!r} is not one of {', '.join(BULK_ACTIONS)}"]
    ids = _ids(data.get("devices"), errors)
    devices: list[Device] = []
    if ids and "devices" not in errors:
        devices = list(Device.objects.select_for_update().filter(pk__in=ids).by_name())
        missing = sorted(set(ids) - {d.pk for d in devices})
        if missing:
            errors["devices"] = [f"no device with id {', '.join(map(str, missing[:10]))}"]
    name = ""
    if action in ("add_tag", "remove_tag"):
        name = _text(data, "tag")
        if not name:
            errors["tag"] = ["give the tag's name"]
        elif action == "add_tag" and tag_problems(name):
            errors["tag"] = tag_problems(name)
        elif action == "remove_tag" and find_tag(name) is None:
            errors["tag"] = [f"no tag named {name!r}"]
    elif action == "move_site":
        name = _text(data, "site")
        if name and not Site.objects.filter(name=name).exists():
            try:
                Site(name=name).full_clean()
            except Exception as err:  # ValidationError: the model's own messages
                errors["site"] = [f"site {name!r}: {m}" for m in getattr(err, "messages", [])]
    if errors:
        raise BulkInvalid(errors)
    return action, devices, name


@transaction.atomic
def apply_bulk(data: Mapping[str, Any]) -> BulkResult:
    """Check ``data`` (:func:`check_bulk`) and change every device, all or none.

    Tags are found whatever the case of the name (``Core`` is the tag ``core``) and
    created for ``add_tag`` when missing; a site for ``move_site`` likewise.

    Raises:
        BulkInvalid: nothing changed.
    """
    action, devices, name = check_bulk(data)
    result = BulkResult(action)
    tag: Tag | None = None
    site: Site | None = None
    if action == "add_tag":
        tag = find_tag(name) or Tag.objects.create(name=name)
    elif action == "remove_tag":
        tag = find_tag(name)
    elif action == "move_site" and name:
        site, _ = Site.objects.get_or_create(name=name)
    for device in devices:
        changed = _change(device, action, tag, site)
        (result.changed if changed else result.unchanged).append(device.name)
    return result


def _change(device: Device, action: str, tag: Tag | None, site: Site | None) -> bool:
    """Apply ``action`` to one device; return whether it changed."""
    if action in ("enable", "disable"):
        wanted = action == "enable"
        if device.enabled == wanted:
            return False
        device.enabled = wanted
        device.save(update_fields=["enabled", "updated_at"])
        return True
    if action == "move_site":
        if device.site_id == (site.pk if site else None):
            return False
        device.site = site
        device.save(update_fields=["site", "updated_at"])
        return True
    assert tag is not None
    has = device.tags.filter(pk=tag.pk).exists()
    if action == "add_tag" and not has:
        device.tags.add(tag)
        return True
    if action == "remove_tag" and has:
        device.tags.remove(tag)
        return True
    return False
