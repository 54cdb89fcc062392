"""Wiring: the only place that picks implementations.

``services.open_services(config)`` builds the one ``Services`` bundle (store, mailstore,
directory, ...) that the server and the admin commands share; ``server.run_server`` binds
the listeners, handles signals (SIGTERM/SIGINT stop, SIGHUP reload) and stops cleanly.
"""
