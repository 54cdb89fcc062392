"""The IMAP server: ``protocol/`` is the pure grammar (bytes to typed commands, typed
responses to bytes, FETCH rendering), ``server/`` the session that drives it over a
connection and calls the domain services (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1).
"""
