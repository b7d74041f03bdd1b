from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "chibo.oversight"
    label = "oversight"
    verbose_name = "Cấp ủy cấp trên"

    def ready(self) -> None:
        from chibo.meetings.services import meeting_published, meeting_rescheduled
        from chibo.oversight.services import on_meeting_published, on_meeting_rescheduled

        meeting_published.connect(on_meeting_published, dispatch_uid="oversight-officer-publish")
        meeting_rescheduled.connect(on_meeting_rescheduled, dispatch_uid="oversight-officer-reschedule")
