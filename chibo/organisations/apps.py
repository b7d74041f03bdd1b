from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "chibo.organisations"
    label = "organisations"
