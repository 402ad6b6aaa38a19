"""The REST API (django-ninja): thin endpoints over the record services and selectors."""
