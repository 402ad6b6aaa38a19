"""The template, compose, signature and mail review pages speak Chinese (tests/web/test_i18n.py
checks that the catalogue is complete)."""

from django.urls import reverse

from sopcrm.crm.mail.services.inbound import inbound_receive
from tests.mail.conftest import mime
from tests.messaging.conftest import make_deal


def _chinese(client_for, user):
    user.language = "zh-hans"
    user.save()
    return client_for(user)


def test_compose_pages_in_chinese(client_for, people):
    deal = make_deal(people.alice)
    client = _chinese(client_for, people.alice)
    html = client.get(reverse("deal_compose", args=[deal.pk])).content.decode()
    for text in ["给客户写邮件", "推荐模板", "全部模板", "询盘首次回复", "返回记录"]:
        assert text in html, text
    for english in ["Suggested templates", "All templates", "Back to the record"]:
        assert english not in html, english
    template = client.get(reverse("deal_compose", args=[deal.pk])).context["suggested"][0]
    html = client.get(template.url).content.decode()
    for text in ["收件人", "预览", "发送", "固定", "换一个模板"]:
        assert text in html, text
    assert ">Preview<" not in html and ">Send<" not in html
    html = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert "写邮件" in html and "Write email" not in html


def test_library_and_settings_in_chinese(client_for, people):
    client = _chinese(client_for, people.alice)
    html = client.get(reverse("template_library")).content.decode()
    for text in ["邮件模板", "团队模板库", "我的版本", "第一次跟进（轻度确认）", "用途", "全部"]:
        assert text in html, text
    assert "Team library" not in html and "1st follow-up (light check)" not in html
    html = client.get(reverse("settings")).content.decode()
    assert "签名" in html and "新建签名" in html and "New signature" not in html


def test_mail_review_in_chinese(client_for, people):
    inbound_receive(mime(sender="x@nowhere.example", subject="Pumps"), source="test")
    html = _chinese(client_for, people.east_manager).get(reverse("mail_review")).content.decode()
    for text in ["邮件审核", "分配给", "分配", "忽略", "查找线索或商机"]:
        assert text in html, text
    assert ">Assign<" not in html and ">Ignore<" not in html
