from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "chibo.oversight"
    label = "oversight"
