"""Entry point of the `sopcrm` console script."""

import os
import sys

OUR_COMMANDS = {
    "demo": "load demo data and run the web UI with the worker (SQLite unless DATABASE_URL)",
    "serve": "run the web UI with the worker in one process",
    "worker": "run the background worker alone",
    "createadmin": "create an administrator account",
    "playbook": "check, apply, show or draw playbooks (playbook check FILE ...)",
    "token": "create, list or revoke personal API tokens",
    "mail": "fetch inbound mail over IMAP, deliver the outbox, send a test message",
    "timers": "list pending timers (SLA points, due tasks, idle limits), or fire the due ones",
    "webhook": "add, list, deactivate or rotate outbound webhooks; see their deliveries",
    "import": "import leads from a CSV or XLSX file (import leads FILE --preset zoho ...)",
    "report": "write the monthly SOP review as XLSX and CSV (report monthly --month 2026-10)",
    "backup": "write a backup of the database and secret key to one file (--out PATH)",
    "restore": "restore a backup made by `sopcrm backup` (restore FILE [--yes])",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopcrm.config.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help"}:
        print("usage: sopcrm <command> [options]\n\ncommands:")
        for name, text in OUR_COMMANDS.items():
            print(f"  {name:<12} {text}")
        print("\nAny Django management command works too (e.g. `sopcrm migrate`);")
        print("`sopcrm <command> --help` shows a command's options.")
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sopcrm", *argv[1:]])


if __name__ == "__main__":
    main()
