from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "sopcrm.cli"
    label = "cli"
