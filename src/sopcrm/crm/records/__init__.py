"""Accounts, contacts, leads, deals and activities: models, services (writes) and selectors
(permission-aware reads)."""
