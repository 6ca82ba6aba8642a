"""Queue folders held by one process at a time: a member folder emptied and
removed by its holder while another process claims it is never held by two."""

from __future__ import annotations

import os

from mikromon.outputs import queue_slot


def test_the_folders_of_an_output_are_the_first_and_its_members(tmp_path):
    for name in ("member-3", "member-2", "member-x", "other"):
        (tmp_path / name).mkdir()
    assert queue_slot.folders(tmp_path) == [tmp_path, tmp_path / "member-2",
                                            tmp_path / "member-3"]
    assert queue_slot.folders(tmp_path / "missing") == []


def test_hold_takes_only_an_existing_free_folder(tmp_path):
    assert queue_slot.hold(tmp_path / "member-2") is None  # never created by a look
    assert not (tmp_path / "member-2").exists()
    first = queue_slot.claim(tmp_path)
    second = queue_slot.claim(tmp_path)
    assert second.folder == tmp_path / "member-2"
    assert queue_slot.hold(second.folder) is None  # held
    second.release()
    held = queue_slot.hold(second.folder)
    assert held is not None
    assert held.folder == second.folder
    held.release()
    first.release()


def test_a_member_folder_retired_while_another_process_claims_it(tmp_path, monkeypatch):
    """Process B opens ``member-2/lock`` just before its holder A retires the
    folder (unlinks the lock file, removes the folder, lets go): B's flock then
    succeeds on a file no longer in the folder. B must see that and claim
    afresh, else a third process would take the same folder beside it."""
    first = queue_slot.claim(tmp_path)
    adopter = queue_slot.claim(tmp_path)
    assert adopter.folder == tmp_path / "member-2"
    real_open = os.open
    raced = []

    def open_then_retire(path, flags, mode=0o777):
        fd = real_open(path, flags, mode)
        if str(path).endswith("member-2/lock") and not raced:
            raced.append(path)
            adopter.retire()  # A's retire lands between B's open and B's flock
        return fd

    monkeypatch.setattr(queue_slot.os, "open", open_then_retire)
    claimer = queue_slot.claim(tmp_path)
    monkeypatch.undo()
    assert raced
    assert claimer.folder == tmp_path / "member-2"
    lock = claimer.folder / "lock"
    assert lock.exists()
    third = queue_slot.claim(tmp_path)
    assert third.folder == tmp_path / "member-3"
    for slot in (third, claimer, first):
        slot.release()


def test_retire_keeps_the_first_folder(tmp_path):
    slot = queue_slot.claim(tmp_path)
    (tmp_path / "member-2").mkdir()
    slot.retire()
    assert (tmp_path / "lock").exists()
    assert (tmp_path / "member-2").is_dir()
    assert queue_slot.hold(tmp_path) is not None


def test_retire_removes_an_empty_member_folder(tmp_path):
    first = queue_slot.claim(tmp_path)
    member = queue_slot.claim(tmp_path)
    member.retire()
    assert not member.folder.exists()
    first.release()
