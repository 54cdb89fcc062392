"""The SMTP server: MX (port 25) and submission (587 STARTTLS, 465 implicit TLS).

``session.py`` is the loop (read, parse, dispatch, reply); ``handlers.py`` holds one function
per command with the states that allow it; ``state.py`` the session's state values;
``refusals.py`` the one table from delivery refusals to replies; ``server.py`` builds a
session handler for the runtime. Policy (who may receive, who may send as whom) lives in
``courriel.delivery``.
"""
