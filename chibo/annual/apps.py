from django.apps import AppConfig


class AnnualConfig(AppConfig):
    name = "chibo.annual"
    label = "annual"
