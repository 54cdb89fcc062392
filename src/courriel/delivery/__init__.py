"""The inbound pipeline: what happens to a message once a protocol has received it.

``recipients.py`` decides, at RCPT time, whether an address may receive (ours, known,
enabled, not over quota) or be relayed to (only for authenticated submission);
``senders.py`` decides whom an authenticated account may send as; ``pipeline.py`` delivers:
trace headers, one stored copy for every local recipient, outside recipients to the queue.
Policy lives here, not in the SMTP session (CONVENTIONS.md item 6).
"""
