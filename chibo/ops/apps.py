from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: synthetic province, backup/restore, worker recovery, deployment helpers (no models)."""

    name = "chibo.ops"
    label = "ops"
    verbose_name = "Vận hành"
