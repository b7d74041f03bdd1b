from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "chibo.meetings"
    label = "meetings"

    def ready(self) -> None:
        from chibo.meetings import judge_cache, panel_cache

        panel_cache.connect()
        judge_cache.connect()
