import datetime as dt
import pytest
from chibo.annual import services
from chibo.annual.tests.helpers import assessed_round, held_meeting, PRESENT
pytestmark = pytest.mark.django_db

def test_pages(world, client):
    lan = world.m_same
    services.set_dues_profile(actor=world.secretary, member=lan, category="khac", fixed_amount=10_000)
    m = held_meeting(world.cell1, 2025, 3, attendance={lan: PRESENT}, dues={lan: 10_000}, status="closed")
    s = services.raise_shortcoming(actor=world.secretary, cell=world.cell1, member=lan, raised_by=world.sec_member, meeting=m, text="Chậm")
    c = services.start_commitment(actor=world.member_same, member=lan, year=2025)
    rnd = assessed_round(world)
    r = rnd.reviews.get(member=lan)
    client.force_login(world.secretary)
    for url in ["/hang-nam/", f"/hang-nam/dang-vien/{lan.pk}/2025/", f"/hang-nam/cam-ket/{c.pk}/", f"/hang-nam/chi-bo/{world.cell1.pk}/2025/",
                f"/hang-nam/kiem-diem/{r.pk}/", f"/hang-nam/kiem-diem/{rnd.reviews.get(member=None).pk}/", f"/hang-nam/han-che/{s.pk}/",
                f"/hang-nam/chi-bo/{world.cell1.pk}/2025/dang-phi/", f"/sinh-hoat/{m.pk}/", f"/dang-vien/{lan.pk}/",
                f"/hang-nam/dot/{rnd.pk}/danh-sach.pdf", f"/hang-nam/dot/{rnd.pk}/bien-ban.docx", f"/hang-nam/kiem-diem/{r.pk}/ban-kiem-diem.pdf",
                f"/hang-nam/chi-bo/{world.cell1.pk}/2025/dang-phi/bien-lai.xlsx"]:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code, resp.content[:3000])
