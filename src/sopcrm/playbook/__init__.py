"""The playbook: the sales SOP as a YAML file. Pure Python (schema, loader, checks); it knows
nothing of Django models, so it can be checked anywhere (`sopcrm playbook check FILE`)."""
