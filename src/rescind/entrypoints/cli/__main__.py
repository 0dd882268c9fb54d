"""``python -m rescind.entrypoints.cli``: the same commands as the ``rescind`` script."""

from rescind.entrypoints.cli.app import main

main()
