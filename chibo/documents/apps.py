from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "chibo.documents"
    label = "documents"
    verbose_name = "Văn bản"

    def ready(self) -> None:
        from chibo.documents.layout import layout

        layout()  # a malformed layout.yaml stops the app at start-up
