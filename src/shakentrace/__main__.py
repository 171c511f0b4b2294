"""``python -m shakentrace``: the same as the ``shakentrace`` command."""

from shakentrace.cli import main

raise SystemExit(main())
