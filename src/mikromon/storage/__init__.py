"""WHERE IT GOES: the storage Protocols the core writes and reads through
(:mod:`.protocols`) and in-memory implementations of them (:mod:`.memory`).

The Django application implements them in :mod:`mikromon.web`; any other host
can too (docs/embedding.md).
"""
