"""Mailboxes and messages, the one way every protocol changes them.

IMAP, POP3, webmail, ActiveSync and local delivery all call ``MailStore`` (``service.py``),
which owns mailbox naming rules, the default mailboxes, parsing at ingest, where message
bytes go, and publishing change events after each commit. UID/MODSEQ/quota atomicity is
the storage port's contract.
"""
