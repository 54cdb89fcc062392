"""``python -m courriel.config.docs``: print the configuration reference page.

Regenerates the checked-in page with::

    python -m courriel.config.docs > docs/configuration.md

Owns only this entry point; the page itself comes from ``reference.render_reference``.
"""

from __future__ import annotations

import sys

from courriel.config.reference import render_reference


def main() -> None:
    sys.stdout.write(render_reference())


if __name__ == "__main__":
    main()
