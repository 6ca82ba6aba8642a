"""The mikromon Django app: devices, metrics, inventory, events, and the
implementations of the core's storage Protocols (:mod:`.storage`,
:mod:`.sources`, :mod:`.lock`)."""
