"""Forms of the web UI. They parse what a person typed into the values a service accepts; the
rules themselves (required fields, valid countries, permissions) are the services' to check."""
