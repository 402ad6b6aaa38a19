"""Applies the compiled playbook to records: which version a record runs under, its fields and
stages (and, with the engine, transitions, tasks and timers)."""
