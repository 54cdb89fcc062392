"""The webmail: courriel's mail in a browser, served by ``courriel serve`` itself.

- ``server``      HTTP/1.1 (uvicorn's h11 protocol) on courriel's own TLS listeners
- ``app``         the ASGI app and its route table; the HTTP → HTTPS redirect
- ``security``    security headers (strict CSP), cookies, same-origin checks
- ``sessions``    server-side sessions: hashed tokens, 2FA stage, CSRF tokens
- ``auth_views``  login (password, then TOTP or recovery code), logout, sessions page
- ``mail_views``  folders, message list, message, sandboxed HTML frame, attachments
- ``events``      server-sent events from the ChangeBus
- ``messages``    list rows and opened messages from what ingest stored
- ``sanitize``    HTML mail through nh3 (ammonia), remote images blocked by default
- ``context``     what views share: rendering, session lookup, CSRF check, formatting
- ``i18n``        French and English strings, chosen from Accept-Language
- ``templates/``  Jinja2 pages (autoescaped); ``static/`` our CSS and JS (no third party)

Protocol rules: views call ``MailStore``, ``AuthService`` and ``WebSessions`` only.
"""
