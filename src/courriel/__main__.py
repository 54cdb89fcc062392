"""``python -m courriel`` runs the ``courriel`` command."""

from courriel.cli import main

raise SystemExit(main())
