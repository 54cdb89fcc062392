"""Tiny shared kernel: clock, errors, logging. No mail knowledge lives here."""
