"""Provincial rulebook variants: the rules page, upload/edit with validation, versions, access, and
past meetings judged by the version they recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chibo.accounts.permissions import Role
from chibo.audit.models import AuditAction, AuditEntry
from chibo.meetings import selectors
from chibo.meetings import services as meeting_services
from chibo.meetings.tests.test_lifecycle import run_meeting
from chibo.organisations import services as org_services
from chibo.organisations.forms import rulebook_choices
from chibo.rules import loader, services
from chibo.rules.models import RulebookRecord, stored_version
from conftest import make_user

pytestmark = pytest.mark.django_db

SHIPPED = (loader.RULEBOOK_DIR / "hd42-2025.yaml").read_text(encoding="utf-8")
CODE = "hd42-2025-tinh-test"
SOURCE = "HD 05-HD/TU Tỉnh ủy Test (2026)"
UPLOAD = "/quy-tac/them/"


def variant(
    *, code: str = CODE, version: int = 1, minutes: int = 90, name: str = "Quy định của Tỉnh ủy Test"
) -> str:
    """The shipped HD 42 rulebook turned into a provincial variant with its own duration rule."""
    text = SHIPPED.replace("code: hd42-2025", f"code: {code}", 1)
    text = text.replace("version: 1", f"version: {version}", 1)
    text = text.replace('name: "Hướng dẫn 42-HD/BTCTW (2025) và Điều lệ Đảng"', f'name: "{name}"', 1)
    text = text.replace("min_minutes: 90", f"min_minutes: {minutes}", 1)
    text = text.replace('source: "HD 42-HD/BTCTW (2025)"', f'source: "{SOURCE}"', 1)  # the duration rule
    return text


def _login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


# --------------------------------------------------------------------------
# The rules page
# --------------------------------------------------------------------------


def test_the_rules_page_lists_every_rulebook_with_rules_and_sources(world, client):
    services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=100))
    response = _login(client, world.member_same).get("/quy-tac/")
    assert response.status_code == 200
    html = response.content.decode()
    for book in loader.load_all().values():
        assert book.name in html
    assert "Quy định của Tỉnh ủy Test" in html and "do Đảng bộ tỉnh Test ban hành" in html
    for text in (
        "Điều lệ Đảng (2011), Điều 24",  # cell structure source
        "HD 42-HD/BTCTW (2025)",
        SOURCE,
        "Mỗi buổi ít nhất 100 phút",  # the variant's threshold
        "Trên 85% đảng viên phải dự có mặt",
        "nhiều hơn 50% số đảng viên có quyền biểu quyết",
        "Thu nộp đảng phí",  # agenda template
        "Tự động: tỷ lệ dự họp đạt ngưỡng",  # a criterion filled from the data
        "Chấm tay",
        "Đạt đủ điểm mọi tiêu chí then chốt",  # the top band
        "Trung bình",
    ):
        assert text in html, text
    assert "Tạo bộ quy tắc của địa phương" not in html  # a member cannot create one
    admin = _login(client, world.admin).get("/quy-tac/").content.decode()
    assert "Tạo bộ quy tắc của địa phương" in admin


def test_detail_page_shows_any_stored_version_and_yaml(world, client):
    services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=100))
    services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=120))
    c = _login(client, world.officer)
    current = c.get(f"/quy-tac/{CODE}/").content.decode()
    assert "Mỗi buổi ít nhất 120 phút" in current and "phiên bản 2" in current
    old = c.get(f"/quy-tac/{CODE}/?phien-ban=1").content.decode()
    assert "Mỗi buổi ít nhất 100 phút" in old and "Đây là phiên bản cũ" in old
    yaml_file = c.get(f"/quy-tac/{CODE}/yaml/?phien-ban=1")
    assert yaml_file["Content-Type"].startswith("text/plain")
    assert "min_minutes: 100" in yaml_file.content.decode()
    shipped = c.get("/quy-tac/hd42-2025/yaml/")
    assert shipped.content.decode() == SHIPPED
    assert c.get("/quy-tac/khong-co/").status_code == 404
    assert c.get(f"/quy-tac/{CODE}/?phien-ban=9").status_code == 404
    assert c.get(f"/quy-tac/{CODE}/?phien-ban=mot").status_code == 404


def test_the_rules_page_needs_a_login(client):
    response = client.get("/quy-tac/")
    assert response.status_code == 302 and "/tai-khoan/" in response["Location"]


# --------------------------------------------------------------------------
# save_variant
# --------------------------------------------------------------------------


def test_a_variant_is_stored_with_its_issuer_and_audited(world):
    saved = services.save_variant(actor=world.admin, organisation=world.province, text=variant())
    assert (saved.code, saved.version, saved.is_variant) == (CODE, 1, True)
    assert saved.organisation == world.province and saved.uploaded_by == world.admin
    assert saved.text == variant()  # the text as written, comments included
    entry = AuditEntry.objects.get(object_type="rules.rulebookrecord", object_id=str(saved.pk))
    assert entry.action == AuditAction.CREATE and entry.actor == world.admin
    assert entry.org_path == world.province.path
    assert entry.changes["rulebook"] == ["", f"{CODE} v1"]
    assert loader.load_all()[CODE].duration.source == SOURCE
    assert (CODE, "Quy định của Tỉnh ủy Test") in rulebook_choices()  # selectable for organisations


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("code: [", "không đúng định dạng YAML"),
        ("- 1\n- 2", "phải là một bảng"),
        ("!!python/object/apply:os.system ['echo hacked']", "không đúng định dạng YAML"),  # safe_load only
        (variant().replace(f'source: "{SOURCE}"', 'source: ""'), "phải ghi nguồn"),
        (variant().replace("min_minutes: 90", "min_minutes: chín mươi"), "phải là số nguyên"),
        (
            variant().replace(
                "{code: duration, group: chairing, points: 10", "{code: duration, group: chairing, points: 12"
            ),
            "tổng điểm các tiêu chí phải là 100",
        ),
        (variant().replace("min_rate_percent: 85", "min_rate_percent: 185"), "từ 0 đến 100"),
        (variant().replace("auto: speakers,", "auto: doan_mo,"), "không có phép đo tự động"),
        (variant().replace("  vote:\n", "  bieu_quyet:\n"), "thiếu mục vote"),
        (variant(code="hd42-2025"), "bộ quy tắc gốc của hệ thống"),
        (variant(code="hd12-2018"), "bộ quy tắc gốc của hệ thống"),
        (variant(code="Tỉnh Test"), "chỉ dùng chữ thường không dấu"),
        (variant(code="them"), "không hợp lệ"),
        ("", "Hãy tải lên tệp YAML"),
        (variant() + "\n# " + "x" * (64 * 1024), "tối đa 64 KB"),
    ],
)
def test_bad_text_is_refused_in_vietnamese_and_nothing_is_saved(world, text, phrase):
    with pytest.raises(ValidationError) as caught:
        services.save_variant(actor=world.admin, organisation=world.province, text=text)
    assert phrase in " ".join(caught.value.messages)
    assert not RulebookRecord.objects.exists()
    assert not AuditEntry.objects.filter(object_type="rules.rulebookrecord").exists()


def test_saving_a_code_again_makes_the_next_version(world):
    first = services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=90))
    second = services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=120))
    assert (first.version, second.version, second.requested_version) == (1, 2, 1)
    assert "version: 2" in second.text and second.text.startswith("# Rulebook")  # comments kept
    assert loader.parse(second.text).version == 2
    assert loader.load_all()[CODE].duration.min_minutes == 120
    assert stored_version(CODE, 1).duration.min_minutes == 90  # the old version stays
    higher = services.save_variant(
        actor=world.admin, organisation=world.province, text=variant(version=7, minutes=95)
    )
    assert higher.version == 7  # a higher version in the text is kept as written
    with pytest.raises(ValidationError, match="Không có thay đổi nào so với phiên bản 7"):
        services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=95))
    assert list(RulebookRecord.objects.filter(code=CODE).values_list("version", flat=True)) == [7, 2, 1]


def test_another_committee_cannot_take_over_a_variant_code(world):
    services.save_variant(actor=world.admin, organisation=world.an_binh, text=variant())
    with pytest.raises(ValidationError, match="do Đảng ủy xã An Bình ban hành"):
        services.save_variant(actor=world.admin, organisation=world.hoa_lac, text=variant(minutes=120))
    assert RulebookRecord.objects.count() == 1


def test_a_cell_does_not_issue_rulebooks(world):
    with pytest.raises(ValidationError, match="từ đảng bộ cơ sở trở lên"):
        services.save_variant(actor=world.admin, organisation=world.cell1, text=variant())
    assert not RulebookRecord.objects.exists()


# --------------------------------------------------------------------------
# The upload page and who may use it
# --------------------------------------------------------------------------


def test_admin_creates_a_variant_from_the_textarea(world, client):
    c = _login(client, world.admin)
    page = c.get(UPLOAD)
    assert page.status_code == 200
    assert "Đảng bộ tỉnh Test" in page.content.decode()
    copy = c.get(UPLOAD, {"tu": "hd42-2025"}).content.decode()
    assert "code: hd42-2025-dia-phuong" in copy and "bản của địa phương" in copy  # a copy with a new code
    response = c.post(UPLOAD, {"organisation": world.province.pk, "text": variant()})
    assert response.status_code == 302 and response["Location"] == f"/quy-tac/{CODE}/"
    record = RulebookRecord.objects.get(code=CODE)
    assert record.organisation == world.province and record.uploaded_by == world.admin
    again = c.post(UPLOAD, {"organisation": world.province.pk, "text": variant(minutes=120)}, follow=True)
    assert "đã lưu thành phiên bản 2" in again.content.decode()
    edit = c.get(UPLOAD, {"tu": CODE}).content.decode()
    assert f"code: {CODE}" in edit and "min_minutes: 120" in edit  # editing a variant keeps its code


def test_admin_uploads_a_yaml_file(world, client):
    c = _login(client, world.admin)
    upload = SimpleUploadedFile("quy-tac.yaml", variant().encode("utf-8"), content_type="application/x-yaml")
    response = c.post(UPLOAD, {"organisation": world.province.pk, "file": upload})
    assert response.status_code == 302
    assert RulebookRecord.objects.filter(code=CODE, version=1).exists()


def test_bad_uploads_show_the_error_in_vietnamese_and_save_nothing(world, client):
    c = _login(client, world.admin)
    broken = c.post(
        UPLOAD,
        {"organisation": world.province.pk, "text": variant().replace("min_minutes: 90", "min_minutes: -5")},
    )
    assert broken.status_code == 200
    html = broken.content.decode()
    assert "Bộ quy tắc không hợp lệ" in html and "phải là số nguyên ≥ 0" in html
    assert "min_minutes: -5" in html  # the text comes back to be fixed
    big = SimpleUploadedFile("lon.yaml", b"a: 1\n" + b"#" * (64 * 1024), content_type="application/x-yaml")
    too_big = c.post(UPLOAD, {"organisation": world.province.pk, "file": big}).content.decode()
    assert "tối đa 64 KB" in too_big
    exe = SimpleUploadedFile("quy-tac.exe", variant().encode(), content_type="application/octet-stream")
    assert (
        "Chỉ nhận tệp .yaml hoặc .yml."
        in c.post(UPLOAD, {"organisation": world.province.pk, "file": exe}).content.decode()
    )
    empty = c.post(UPLOAD, {"organisation": world.province.pk, "text": "  "}).content.decode()
    assert "Hãy tải lên tệp YAML hoặc dán nội dung bộ quy tắc." in empty
    assert not RulebookRecord.objects.exists()


@pytest.mark.parametrize("persona", ["secretary", "member_same", "officer"])
def test_roles_without_the_right_get_403(world, client, persona):
    c = _login(client, getattr(world, persona))
    assert c.get(UPLOAD).status_code == 403
    own = world.an_binh if persona == "officer" else world.cell1
    assert c.post(UPLOAD, {"organisation": own.pk, "text": variant()}).status_code == 403
    assert c.post(UPLOAD, {"text": variant()}).status_code == 403
    assert not RulebookRecord.objects.exists()


def test_an_outsider_cannot_attach_a_variant_outside_their_subtree(world, client):
    commune_admin = make_user("quantri_hoalac", Role.ADMIN, world.hoa_lac)
    c = _login(client, commune_admin)
    assert c.get(UPLOAD).status_code == 200
    for target in (world.an_binh, world.province, world.cell1):
        assert c.post(UPLOAD, {"organisation": target.pk, "text": variant()}).status_code == 404
    assert c.post(UPLOAD, {"organisation": 999999, "text": variant()}).status_code == 404
    assert not RulebookRecord.objects.exists()
    assert c.post(UPLOAD, {"organisation": world.hoa_lac.pk, "text": variant()}).status_code == 302
    assert RulebookRecord.objects.get().organisation == world.hoa_lac
    other = _login(client, world.officer_other)
    assert (
        other.post(UPLOAD, {"organisation": world.an_binh.pk, "text": variant(minutes=100)}).status_code
        == 404
    )
    assert (
        other.post(UPLOAD, {"organisation": world.hoa_lac.pk, "text": variant(minutes=100)}).status_code
        == 403
    )
    assert RulebookRecord.objects.count() == 1


# --------------------------------------------------------------------------
# Past meetings are never rewritten
# --------------------------------------------------------------------------


def test_a_new_variant_version_applies_to_new_meetings_only(world, client):
    services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=90))
    org_services.update_organisation(actor=world.admin, org=world.province, rulebook_code=CODE)

    old = run_meeting(world, day=timezone.localdate() - dt.timedelta(days=40), minutes=100)
    assert (old.rulebook_code, old.rulebook_version) == (CODE, 1)
    assert not any(b["code"] == "duration" for b in old.snapshot["breaches"])

    # The province tightens its rule: 120 minutes (the text still says version 1).
    saved = services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=120))
    assert saved.version == 2

    # The old meeting is still judged by the version it recorded…
    old.refresh_from_db()
    assert (old.rulebook_code, old.rulebook_version) == (CODE, 1)
    verdict = selectors.judge(old)
    assert (verdict.book.version, verdict.book.duration.min_minutes) == (1, 90)
    assert not any(b.code == "duration" for b in verdict.breaches)
    assert meeting_services.rulebook_of(old).duration.min_minutes == 90
    assert stored_version(CODE, 1).duration.min_minutes == 90

    # …while a meeting started now records and is judged by version 2.
    new = run_meeting(world, day=timezone.localdate() - dt.timedelta(days=3), minutes=100)
    assert (new.rulebook_code, new.rulebook_version) == (CODE, 2)
    assert f"Thời lượng 100 phút, dưới 120 phút ({SOURCE})" in [
        b["message"] for b in new.snapshot["breaches"]
    ]
    assert new.fig_grade != "tot"
    assert selectors.judge(new).book.duration.min_minutes == 120

    # The record page of the old meeting's version still reads 90 minutes.
    page = _login(client, world.member_same).get(f"/quy-tac/{CODE}/?phien-ban=1").content.decode()
    assert "Mỗi buổi ít nhất 90 phút" in page


def test_the_variant_in_force_is_parsed_once_and_a_new_version_is_read_at_once(world, monkeypatch):
    """loader.load_all (every page reading a cell's rulebook): one small query for which versions are
    newest; a version's text is parsed the first time only; a new version is in force at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=100))
    assert loader.get(CODE).duration.min_minutes == 100
    parsed: list[str] = []
    real = loader.parse_stored
    monkeypatch.setattr(loader, "parse_stored", lambda text: parsed.append(text) or real(text))
    with CaptureQueriesContext(connection) as again:
        assert loader.get(CODE).duration.min_minutes == 100
    assert len(again) == 1 and parsed == []
    services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=120))
    parsed.clear()  # (saving checks the text)
    assert loader.get(CODE).duration.min_minutes == 120 and len(parsed) == 1
    assert loader.get(CODE).version == 2 and len(parsed) == 1
