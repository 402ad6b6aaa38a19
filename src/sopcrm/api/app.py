"""The REST API (django-ninja): thin endpoints over the record services and selectors.

OpenAPI at /api/openapi.json, interactive docs at /api/docs; docs/api.md is the guide.
"""

from ninja import NinjaAPI

from . import (
    accounts,
    activities,
    approvals,
    automation,
    contacts,
    deals,
    emails,
    errors,
    fields,
    intake,
    leads,
    mail,
    me,
    notifications,
    playbook,
    reports,
    signatures,
    templates,
    webhooks,
)
from .auth import AUTH

api = NinjaAPI(
    title="sopcrm API",
    version="1",
    urls_namespace="api",
    auth=AUTH,
    description="Accounts, contacts, leads, deals and activities, with their timelines; moving "
    "leads and deals through the playbook (transitions, approvals, exceptions); the playbook "
    "itself; and personal API tokens. Guide: docs/api.md.",
)
errors.install(api)
api.add_router("/accounts", accounts.router)
api.add_router("/contacts", contacts.router)
api.add_router("", intake.router)  # before /leads: /leads/batch is not /leads/{lead_id}
api.add_router("/leads", leads.router)
api.add_router("/deals", deals.router)
api.add_router("/activities", activities.router)
api.add_router("/approvals", approvals.router)
api.add_router("/playbook", playbook.router)
api.add_router("/fields", fields.router)
api.add_router("/mail", mail.router)
api.add_router("/webhooks", webhooks.router)
api.add_router("/notifications", notifications.router)
api.add_router("", templates.router)
api.add_router("", emails.router)
api.add_router("", signatures.router)
api.add_router("", me.router)
api.add_router("", automation.router)
api.add_router("", reports.router)
api.add_router("", notifications.preferences_router)
