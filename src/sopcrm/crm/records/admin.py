"""Records are deliberately not in the Django admin.

Every change to an account, contact, lead, deal or activity goes through crm/records/services,
which checks who may change it and what the playbook requires and writes an event; an admin form
would save the model directly and bypass all three. Admins use the web UI, which sees everything
for them.
"""
