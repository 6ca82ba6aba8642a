"""Cost of reading one long sentence that arrives in small chunks (the
``endless_sentence`` case): time per MiB must not grow with the sentence.

Usage::

    PYTHONPATH=src python bench/framing_linear.py [--old-commit SHA]

With ``--old-commit`` the reader of that commit (loaded from git) is measured too:
it parsed the unfinished sentence again on every read (quadratic).
"""

from __future__ import annotations

import argparse
import subprocess
import time
import types

from mikromon.routeros import framing

CHUNK = 4096


def sentence_bytes(size: int) -> bytes:
    word = b"=word=" + b"y" * 494  # 500 bytes: a 2-byte length prefix
    one = (len(word) | 0x8000).to_bytes(2, "big") + word
    return b"\x03!re" + one * (size // len(one))


def measure(module: types.ModuleType, size: int) -> float:
    data = sentence_bytes(size)
    reader = module.SentenceReader()
    if hasattr(reader, "max_sentence"):
        reader.max_sentence = framing.MAX_SENTENCE
    start = time.process_time()
    for pos in range(0, len(data), CHUNK):
        reader.feed(data[pos:pos + CHUNK])
        assert reader.next_sentence() is None
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old-commit")
    args = parser.parse_args()
    readers = {"current": framing}
    if args.old_commit:
        source = subprocess.run(
            ["git", "show", f"{args.old_commit}:src/mikromon/routeros/framing.py"],
            check=True, capture_output=True, text=True).stdout
        old = types.ModuleType("old_framing")
        exec(compile(source, "old_framing", "exec"), old.__dict__)  # our own earlier code
        readers["old"] = old
    print(f"{'reader':8} {'sentence KiB':>12} {'CPU s':>8} {'CPU ms/MiB':>11}")
    for name, module in readers.items():
        for kib in (256, 512, 1024, 2000):
            cpu = measure(module, kib * 1024)
            print(f"{name:8} {kib:12} {cpu:8.3f} {cpu * 1024 / kib * 1000:11.1f}")


if __name__ == "__main__":
    main()
