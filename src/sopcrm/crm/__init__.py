"""The CRM domain: records and, in their own apps, what acts on them."""
