"""The `sopcrm` command. Each subcommand is a Django management command of this app, so the
same commands also run as `python -m django <command>` with the settings set."""
