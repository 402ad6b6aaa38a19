"""Email templates with a fixed structure and free sections, signatures, and composing an email
from a record (S-37..S-39)."""
