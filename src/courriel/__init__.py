"""courriel: a complete, self-hosted mail system in one Python package.

This module holds the version only; it imports nothing heavy so that
``python -m courriel --help`` stays fast.
"""

__version__ = "0.1.0"
