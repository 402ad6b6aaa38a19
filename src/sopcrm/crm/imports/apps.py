from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "sopcrm.crm.imports"
    label = "imports"
    verbose_name = _("Lead imports")
