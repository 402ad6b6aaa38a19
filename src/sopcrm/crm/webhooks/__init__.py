"""Outbound webhooks: signed HTTP POSTs to the URLs an administrator registered, queued by
automation inside the change that fires them and delivered by the worker with retries (see
docs/webhooks.md)."""
