"""One conformance suite per storage port, run against every backend in
``support.backends.BACKENDS`` (and every bus in ``CHANGE_BUSES``)."""
