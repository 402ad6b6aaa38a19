"""Every change to a record is one of these functions; the web UI, the API, the CLI, imports and
automation all call them, so permissions, validation and the event log cannot be bypassed."""
