"""The outbound queue: mail leaving for other servers.

``service.OutboundQueue`` takes messages in durably (submission, aliases forwarding outside,
bounces) and manages them (``courriel queue ...``); ``worker`` delivers them — routing by MX
or through a smarthost (``route``), retrying with backoff (``schedule``) and sending
delivery status notifications (``bounce``).
"""
