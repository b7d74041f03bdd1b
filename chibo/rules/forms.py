"""The form for a provincial rulebook variant: an uploaded YAML file or text typed in a textarea."""

from __future__ import annotations

from typing import Any

from django import forms

from chibo.organisations.models import Organisation
from chibo.rules.services import EMPTY, MAX_BYTES, TOO_BIG


class VariantForm(forms.Form):
    organisation = forms.TypedChoiceField(
        label="Cấp ủy ban hành",
        coerce=int,
        help_text="Bộ quy tắc thuộc cấp ủy này; các tổ chức trực thuộc chọn dùng trong trang sửa tổ chức.",
    )
    file = forms.FileField(
        label="Tải lên tệp YAML",
        required=False,
        help_text="Tệp .yaml hoặc .yml, tối đa 64 KB. Nếu chọn tệp, nội dung trong ô soạn thảo bị bỏ qua.",
    )
    text = forms.CharField(
        label="Hoặc soạn trực tiếp",
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 28,
                "spellcheck": "false",
                "class": "yaml-editor",
                "style": "width:100%;max-width:none;font-family:monospace;font-size:.9rem",
            }
        ),
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["organisation"]
        field.choices = [(o.pk, f"{'— ' * o.depth}{o.name}") for o in organisations]

    def clean_file(self) -> str | None:
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        name = (upload.name or "").lower()
        if not name.endswith((".yaml", ".yml")):
            raise forms.ValidationError("Chỉ nhận tệp .yaml hoặc .yml.")
        if upload.size is None or upload.size > MAX_BYTES:
            raise forms.ValidationError(TOO_BIG.format(size=-(-(upload.size or 0) // 1024)))
        try:
            return upload.read(MAX_BYTES + 1).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("Tệp phải là văn bản UTF-8.") from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = data.get("file") or data.get("text") or ""
        if "file" not in self.errors and not text.strip():
            self.add_error("text", EMPTY)
        data["yaml_text"] = text
        return data
