from django.apps import AppConfig


class BulletinConfig(AppConfig):
    name = "chibo.bulletin"
    label = "bulletin"
