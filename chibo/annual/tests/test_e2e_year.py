"""End to end in headless Chromium on the demo: the year-end review through the pages.

The demo member writes and sends her self-assessment; the secretary assesses her, records the
vote, proposes the list (the other reviews are assessed through the services); the commune
officer decides; the member then sees her result beside her commitment. Also the dues ledger and
the meeting page's self-criticism panel. Screenshots: test-artifacts/e2e/year-*.png.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from chibo.core.tests.e2e import ARTIFACTS, LAPTOP, PHONE, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=ARTIFACTS / f"year-{name}.png", full_page=True)


def test_the_year_end_review_through_the_pages(browser, demo):  # type: ignore[no-untyped-def]
    from chibo.accounts.models import User
    from chibo.annual import demo as annual_demo
    from chibo.annual import selectors, services
    from chibo.annual.models import ReviewRound, ReviewStatus
    from chibo.meetings.models import Meeting

    year = annual_demo.demo_year(timezone.localdate())
    rnd = ReviewRound.objects.get(organisation__code="DEMO-AB-T1", year=year)
    lan = rnd.reviews.get(member__full_name="Trần Thị Lan")

    # The member: her year, then her self-assessment.
    ctx = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    page = ctx.new_page()
    login(page, demo, "dangvien.thon1")
    page.goto(f"{demo}/hang-nam/cua-toi/")
    assert "Trần Thị Lan — năm" in page.inner_text("h1")
    shot(page, "member-before")
    page.goto(f"{demo}/hang-nam/kiem-diem/{lan.pk}/")
    for field, value in {"chinh_tri": "9", "dao_duc": "9", "ky_luat": "8", "nhiem_vu": "60"}.items():
        page.fill(f"#id_self_{field}", value)
    page.fill("#id_strengths", "Dự đủ các kỳ sinh hoạt, hướng dẫn đảng viên cao tuổi dùng Sổ tay điện tử.")
    page.fill("#id_weaknesses", "Có lúc chưa mạnh dạn phát biểu.")
    page.click("button[name=submit]")
    page.wait_for_load_state()
    assert "Đã gửi bản tự kiểm điểm." in page.inner_text(".messages")
    assert "86" in page.inner_text("#tu-danh-gia")
    shot(page, "member-self-assessment")
    # She cannot open another member's self-assessment.
    other = rnd.reviews.exclude(member=None).exclude(pk=lan.pk).first()
    response = page.goto(f"{demo}/hang-nam/kiem-diem/{other.pk}/")
    assert response.status == 403 and "chính mình" in page.inner_text("main")
    ctx.close()

    # The secretary: assess Lan and record the vote.
    ctx = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    page = ctx.new_page()
    login(page, demo, "bithu.thon1")
    page.goto(f"{demo}/hang-nam/kiem-diem/{lan.pk}/")
    for field, value in {"chinh_tri": "9", "dao_duc": "9", "ky_luat": "8", "nhiem_vu": "58"}.items():
        page.fill(f"#id_cell_{field}", value)
    page.click("#chi-bo-danh-gia button.btn")
    page.wait_for_load_state()
    assert "Hoàn thành tốt nhiệm vụ" in page.inner_text("#chi-bo-danh-gia")
    base = selectors.full_members_count(rnd.organisation, timezone.localdate())
    page.fill("#id_in_favour", str(base - 1))
    page.fill("#id_against", "1")
    page.click("#bieu-quyet button.btn")
    page.wait_for_load_state()
    assert "đạt" in page.inner_text("#bieu-quyet")
    shot(page, "secretary-review")

    # The rest of the cell is assessed through the services (the same code the pages call).
    secretary = User.objects.get(username="bithu.thon1")
    frames = selectors.rules_for_round(rnd).rating.frames
    for r in rnd.reviews.exclude(pk=lan.pk).select_related("member"):
        scores = {c.code: c.points * 4 // 5 for c in frames[r.subject]}
        if r.status == ReviewStatus.DRAFT:
            services.save_self_assessment(
                actor=secretary, review=r, scores=scores, strengths="a", weaknesses="b", submit=True
            )
        r = services.assess(actor=secretary, review=r, scores=scores)
        if r.member_id and r.proposed_level in ("xuat_sac", "tot"):
            services.record_vote(actor=secretary, review=r, in_favour=base, against=0, base=base)
    page.goto(f"{demo}/hang-nam/chi-bo/{rnd.organisation_id}/{year}/")
    page.fill("#id_held_on", timezone.localdate().strftime("%d/%m/%Y"))
    page.fill("#id_place", "Nhà văn hóa thôn 1")
    page.click("text=Gửi đề nghị xếp loại lên cấp trên")
    page.wait_for_load_state()
    assert "Đã gửi danh sách đề nghị" in page.inner_text(".messages")
    shot(page, "secretary-round-proposed")
    page.goto(f"{demo}/hang-nam/chi-bo/{rnd.organisation_id}/{year}/dang-phi/")
    assert "Sổ đảng phí năm" in page.inner_text("h1") and "⚑" in page.inner_text("table.ledger")
    shot(page, "dues-ledger")
    thematic = Meeting.objects.filter(shortcomings__isnull=False, organisation=rnd.organisation).first()
    page.goto(f"{demo}/sinh-hoat/{thematic.pk}/")
    assert "Tự phê bình và phê bình" in page.inner_text("#tu-phe-binh")
    page.locator("#tu-phe-binh").screenshot(path=ARTIFACTS / "year-meeting-panel.png")
    ctx.close()

    # The commune officer decides.
    ctx = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    page = ctx.new_page()
    login(page, demo, "danguy.anbinh")
    page.goto(f"{demo}/hang-nam/chi-bo/{rnd.organisation_id}/{year}/")
    page.fill("textarea[name=note] >> nth=0", "Đồng ý với đề nghị của chi bộ.")
    page.click(f"text=Quyết định xếp loại năm {year}")
    page.wait_for_load_state()
    assert "kết quả năm đã khóa" in page.inner_text(".messages")
    shot(page, "officer-decided")
    ctx.close()

    # The member sees the decision beside her commitment, on a phone too.
    ctx = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = ctx.new_page()
    login(page, demo, "dangvien.thon1")
    page.goto(f"{demo}/hang-nam/cua-toi/")
    assert "Hoàn thành tốt nhiệm vụ" in page.inner_text("#ket-qua")
    shot(page, "member-after-phone")
    ctx.close()
