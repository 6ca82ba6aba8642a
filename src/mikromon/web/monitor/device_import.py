"""Importing devices from a CSV file: each row checked by the one device form
(:class:`mikromon.web.monitor.forms.DeviceSettingsForm`), a device named in the
file created or (when one of that name exists) updated. Used by ``mikromon
device import`` and the device list page's import; the format is in
docs/operations.md.

The header names the columns (:data:`COLUMNS`; case, spaces and ``-``/``_`` do
not matter); only ``name`` is required. A row's empty cell leaves a stored
device's value as it is (a new device gets the default). ``tags`` are separated
by ``;`` and replace the device's tags; ``use_ssl`` and ``enabled`` read
yes/no, true/false, 1/0 or on/off. Row numbers are the spreadsheet's: the
header is row 1. Passwords are read, never shown.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from mikromon.web.monitor.forms import INTERVAL_FORM_FIELDS, VALUE_FIELDS, DeviceSettingsForm
from mikromon.web.monitor.models import Device

#: The columns a file may have, in the documented order.
COLUMNS = ("name", "host", "port", "username", "password", "use_ssl", "tls_verify",
           "encoding", "enabled", "site", "tags", "notes", *INTERVAL_FORM_FIELDS)
#: Columns holding yes/no.
BOOLEAN_COLUMNS = ("use_ssl", "enabled")
#: Largest file read, bytes, and most rows.
MAX_BYTES = 4 * 1024 * 1024
MAX_ROWS = 10_000
_TRUE = ("yes", "true", "1", "on", "y")
_FALSE = ("no", "false", "0", "off", "n")
#: Form field -> the column it came from, for messages.
_FIELD_COLUMN = {"new_site": "site", "new_tags": "tags", "site": "site", "tags": "tags",
                 "__all__": "row"}


class ImportFileError(Exception):
    """The file as a whole cannot be read (not CSV, unknown column, too large)."""


@dataclass
class ImportRow:
    """One row's outcome.

    Attributes:
        row: the row number (the header is row 1).
        name: the device's name as given.
        action: ``create`` or ``update``.
        errors: ``field: message`` for each problem; empty when the row is valid.
        done: whether the row was written.
    """

    row: int
    name: str
    action: str
    errors: list[str] = field(default_factory=list)
    done: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the row as JSON (no cell values but the name)."""
        return {"row": self.row, "name": self.name, "action": self.action,
                "errors": self.errors, "done": self.done}


@dataclass
class ImportResult:
    """The outcome of an import or a dry run.

    Attributes:
        rows: every data row, in file order.
        dry_run: nothing was written.
        written: the valid rows were written (not a dry run, and no error or
            ``skip_invalid``).
    """

    rows: list[ImportRow]
    dry_run: bool
    written: bool = False

    @property
    def invalid(self) -> list[ImportRow]:
        """The rows with errors."""
        return [r for r in self.rows if r.errors]

    def error_lines(self) -> list[str]:
        """Return ``row N: field: message`` for every problem."""
        return [f"row {r.row}: {e}" for r in self.rows for e in r.errors]

    def counts(self) -> dict[str, int]:
        """Return how many valid rows create and update, and how many are invalid."""
        valid = [r for r in self.rows if not r.errors]
        return {"create": sum(r.action == "create" for r in valid),
                "update": sum(r.action == "update" for r in valid),
                "invalid": len(self.invalid)}


def _column(header: str) -> str:
    return header.strip().lower().replace("-", "_").replace(" ", "_")


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """Return ``(row number, {column: cell})`` for each non-blank data row.

    Raises:
        ImportFileError: too large, no header, no ``name`` column, an unknown or
            repeated column, a row with more cells than the header, bad CSV.
    """
    if len(text) > MAX_BYTES:
        raise ImportFileError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [_column(h) for h in next(reader, [])]
        if not any(header):
            raise ImportFileError("the file is empty: the first row must name the columns")
        unknown = [h for h in header if h not in COLUMNS]
        if unknown:
            raise ImportFileError(f"unknown column {unknown[0]!r} (columns: {', '.join(COLUMNS)})")
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            raise ImportFileError(f"column {repeated[0]!r} appears twice")
        if "name" not in header:
            raise ImportFileError("the file has no 'name' column")
        rows: list[tuple[int, dict[str, str]]] = []
        row_number = 1
        for cells in reader:
            row_number += 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise ImportFileError(f"row {row_number}: {len(cells)} cells, but the header "
                                      f"names {len(header)} columns")
            rows.append((row_number, dict(zip(header, cells, strict=False))))
            if len(rows) > MAX_ROWS:
                raise ImportFileError(f"more than {MAX_ROWS} rows")
    except csv.Error as err:
        raise ImportFileError(f"not a CSV file: {err}") from None
    return rows


def _boolean(column: str, text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{column}: {text.strip()[:40]!r} is not yes or no")


def form_data(device: Device, cells: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Return the device form's data for one row laid over ``device``'s values (a
    new device's defaults), and the problems found before the form (booleans)."""
    data: dict[str, Any] = {name: getattr(device, name) for name in VALUE_FIELDS}
    data["site"] = device.site_id or ""
    data["tags"] = [tag.pk for tag in device.tags.all()] if device.pk else []
    problems: list[str] = []
    for column, raw in cells.items():
        text = raw.strip() if column != "password" else raw
        if not text.strip():
            continue
        if column in BOOLEAN_COLUMNS:
            try:
                data[column] = _boolean(column, text)
            except ValueError as err:
                problems.append(str(err))
        elif column == "site":
            data["site"], data["new_site"] = "", text
        elif column == "tags":
            data["tags"], data["new_tags"] = [], text.split(";")
        else:
            data[column] = text
    return data, problems


def check_row(row: int, cells: dict[str, str]) -> tuple[ImportRow, DeviceSettingsForm | None]:
    """Check one row by the device form; return its outcome and the valid form
    (``None`` when the row has errors)."""
    name = (cells.get("name") or "").strip()
    device = Device.objects.filter(name=name).first() if name else None
    outcome = ImportRow(row, name, "update" if device else "create")
    data, outcome.errors = form_data(device or Device(), cells)
    form = DeviceSettingsForm(data=data, instance=device or Device())
    if not form.is_valid():
        for key, messages in form.errors.items():
            column = _FIELD_COLUMN.get(key, key)
            outcome.errors.extend(f"{column}: {m}" for m in messages)
    return outcome, (None if outcome.errors else form)


def import_devices(text: str, *, dry_run: bool = False,
                   skip_invalid: bool = False) -> ImportResult:
    """Check every row and, unless ``dry_run``, write them in one transaction:
    all rows when none has an error; with ``skip_invalid`` the valid ones.

    A name given by two rows is an error in the second. Rows are checked in file
    order against the database as the earlier rows leave it (a tag a row creates
    is reused, whatever its case, by the next).

    Raises:
        ImportFileError: the file cannot be read (nothing written).
    """
    rows = read_rows(text)
    result = ImportResult([], dry_run=dry_run)
    seen: dict[str, int] = {}
    with transaction.atomic():
        for number, cells in rows:
            outcome, form = check_row(number, cells)
            key = outcome.name.casefold()
            if key and key in seen:
                outcome.errors.append(f"name: {outcome.name!r} is also in row {seen[key]}")
                form = None
            seen.setdefault(key, number)
            result.rows.append(outcome)
            if form is not None and not dry_run:
                try:
                    with transaction.atomic():
                        form.save()
                    outcome.done = True
                except IntegrityError as err:
                    outcome.errors.append(f"row: not saved: {err}")
        if dry_run or (result.invalid and not skip_invalid):
            transaction.set_rollback(True)
            for outcome in result.rows:
                outcome.done = False
        else:
            result.written = True
    return result
