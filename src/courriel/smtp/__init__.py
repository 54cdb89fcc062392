"""SMTP for courriel: the pure grammar (``protocol``) shared by the inbound server and the
outbound client, the server session (``server``) for the MX and submission listeners, and the
client the queue uses. ``protocol`` turns bytes into typed commands, parameters, replies and
message data and back, and never touches a socket or storage; the session reads, calls it,
dispatches through an explicit table and writes the replies it returns (RFC 5321 and its
extensions)."""
