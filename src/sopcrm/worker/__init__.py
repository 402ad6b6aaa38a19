"""The background worker: runs queued tasks (and, with automation, fires due timers)."""
