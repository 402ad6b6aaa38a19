"""The write path of the messaging app: templates, signatures, seeding and composing."""
