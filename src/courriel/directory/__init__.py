"""Who exists and who may log in: domains, accounts, aliases, passwords, DKIM keys.

``service.Directory`` is the one place that creates and changes them (CLI, admin UI, tests);
``resolve`` answers "where does mail for this address go" for SMTP and delivery. The
``AuthService`` that every protocol uses to log in lives here too (issue 3).
"""
