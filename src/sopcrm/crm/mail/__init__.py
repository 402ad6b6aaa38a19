"""Email in and out: the outbox that delivers messages with retries, and inbound mail matched to
records (replies count and stop the chase)."""
