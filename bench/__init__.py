"""Benchmarks of sopcrm's hot paths: `uv run python -m bench <suite> [options]`.

Each suite runs against a fresh database (SQLite in a temporary directory, or a dedicated
PostgreSQL database when DATABASE_URL is set), prints a table and writes a JSON file under
bench/results/ (not committed). docs/performance.md records the figures and what limits them."""
