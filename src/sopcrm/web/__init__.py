"""The server-rendered web UI (Django templates + htmx)."""
