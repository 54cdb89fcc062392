"""Helpers shared by the storage tests: message builders, backends, invariant checks."""
