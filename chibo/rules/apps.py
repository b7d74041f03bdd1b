from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "chibo.rules"
    label = "rules"

    def ready(self) -> None:
        # Validate every shipped rulebook at start-up: a broken file stops the app.
        from chibo.rules.loader import load_files

        load_files()
