"""What people do with alerts, silences, rules and notification channels: one
place shared by the pages, the JSON API and the command line.

Every change goes through a function here, which validates with the forms of
:mod:`mikromon.web.alerts.forms` and saves in one transaction. Errors:

- :class:`Invalid`: bad input, ``errors`` maps each field to its messages (the
  API answers 400, the command line exits 2);
- :class:`NotFound`: no such object (404; exit 2).

The ``*_dict`` functions return the JSON documents of the API and of the
command line's ``--json`` (times ISO 8601 UTC; never a channel's URL or secret).
A running collector picks up rule changes within about a second (its rule
reload follows the database's change marker, see :mod:`mikromon.web.alerts.signals`).

The actions live by what they act on: :mod:`.alerts`, :mod:`.silences`,
:mod:`.rules` (with per-device overrides), :mod:`.preview`, :mod:`.channels`;
the errors and the reading of plain input in :mod:`.common`. This package
gives them all under one name (``services.create_rule``), as its callers use them.
"""

from __future__ import annotations

from mikromon.web.alerts.services.alerts import (
    ALERT_STATES,
    acknowledge,
    alert_dict,
    alert_dicts,
    get_alert,
    list_alerts,
    unacknowledge,
)
from mikromon.web.alerts.services.channels import (
    channel_dict,
    create_channel,
    delete_channel,
    find_channel,
    get_channel,
    list_channels,
    save_channel_form,
    test_channel,
    update_channel,
)
from mikromon.web.alerts.services.common import Invalid, NotFound, ServiceError, plain_data
from mikromon.web.alerts.services.preview import Preview, PreviewMatch, preview_rule
from mikromon.web.alerts.services.rules import (
    RULE_DEFAULTS,
    create_rule,
    delete_override,
    delete_rule,
    find_rule,
    get_rule,
    list_overrides,
    list_rules,
    override_dict,
    rule_dict,
    save_rule_form,
    set_override,
    set_rule_enabled,
    update_rule,
)
from mikromon.web.alerts.services.silences import (
    SILENCE_STATES,
    create_silence,
    expire_silence,
    get_silence,
    list_silences,
    silence_dict,
)

__all__ = [
    "ALERT_STATES",
    "RULE_DEFAULTS",
    "SILENCE_STATES",
    "Invalid",
    "NotFound",
    "Preview",
    "PreviewMatch",
    "ServiceError",
    "acknowledge",
    "alert_dict",
    "alert_dicts",
    "channel_dict",
    "create_channel",
    "create_rule",
    "create_silence",
    "delete_channel",
    "delete_override",
    "delete_rule",
    "expire_silence",
    "find_channel",
    "find_rule",
    "get_alert",
    "get_channel",
    "get_rule",
    "get_silence",
    "list_alerts",
    "list_channels",
    "list_overrides",
    "list_rules",
    "list_silences",
    "override_dict",
    "plain_data",
    "preview_rule",
    "rule_dict",
    "save_channel_form",
    "save_rule_form",
    "set_override",
    "set_rule_enabled",
    "silence_dict",
    "test_channel",
    "unacknowledge",
    "update_channel",
    "update_rule",
]
