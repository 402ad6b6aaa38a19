"""Lead import from CSV and XLSX files (S-25): column mapping with presets, a dry-run preview,
jobs run by the worker with progress, an error file for the rows that failed. Every row goes in
through `lead_intake`, like the web form and the API batch. See docs/import.md."""
