"""Reports (S-41..S-44): figures computed from the event log, for the dashboards, the API, the
monthly review export and the CLI. See docs/reports.md."""
