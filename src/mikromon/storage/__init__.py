"""WHERE IT GOES: the storage Protocols the core writes and reads through
(:mod:`.protocols`) and in-memory implementations of them (:mod:`.memory`).

The Django application implements them in :mod:`mikromon.web`; any other host
can too (docs/embedding.md).

:mod:`.chunks` encodes one series' samples into a compressed chunk and back
(numpy and zstd, no Django); docs/storage.md describes the chunk layout it is
built for, which the Django storage does not use yet.
"""
