"""Delivery refusals and storage errors → SMTP replies, in one table (CONVENTIONS.md item 5)."""

from __future__ import annotations

from courriel.delivery.model import Refusal
from courriel.smtp.protocol import Reply, replies

RECIPIENT_REFUSALS: dict[Refusal, Reply] = {
    Refusal.INVALID: replies.BAD_RECIPIENT_SYNTAX,  # 501 5.1.3
    Refusal.UNKNOWN: replies.UNKNOWN_USER,  # 550 5.1.1
    Refusal.DISABLED: replies.MAILBOX_DISABLED,  # 550 5.2.1
    Refusal.OVER_QUOTA: replies.MAILBOX_FULL_TEMPORARY,  # 452 4.2.2
    # RFC 5321 §3.6.2 / RFC 3463 X.7.1: we are not a relay for unauthenticated clients.
    Refusal.RELAY_DENIED: Reply(554, "5.7.1", "Relay access denied"),
    Refusal.TEMPORARY: replies.LOCAL_ERROR,  # 451 4.3.0
}

# RFC 6409 §6.1 / RFC 3463 X.7.1: a submission server refuses a sender the user does not own.
SENDER_NOT_OWNED = Reply(550, "5.7.1", "Sender address not owned by the authenticated user")

SENDER_REFUSALS: dict[Refusal, Reply] = {
    Refusal.NOT_YOUR_ADDRESS: SENDER_NOT_OWNED,
    Refusal.INVALID: replies.BAD_SENDER_SYNTAX,
}

# The whole message, at the end of DATA: RFC 7489 §10.3 "full rejection" with a 5xy reply;
# RFC 3463 X.7.1 "delivery not authorized, message refused".
MESSAGE_REFUSALS: dict[Refusal, Reply] = {
    Refusal.POLICY_REJECTED: Reply(550, "5.7.1", "Message rejected by the sender domain's policy"),
    # RFC 3463 X.7.0 "other or undefined security status": a virus; 554 "transaction failed".
    Refusal.VIRUS: Reply(554, "5.7.0", "Message refused: it contains a virus"),
    # RFC 5321 §4.2.5 / RFC 3463 X.7.0: a scanner we rely on is down; the sender retries.
    Refusal.SCAN_UNAVAILABLE: Reply(451, "4.7.0", "Content scan unavailable, try again later"),
}
