"""``python -m mikromon``: the ``mikromon`` command (:func:`mikromon.cli.main`)."""

from mikromon.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
