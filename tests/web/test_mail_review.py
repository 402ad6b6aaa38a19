"""Mail review (managers and admins): received mail no record claimed, assigned to a deal or lead
(it then shows on the record's timeline as the customer's reply) or ignored; reps never see it."""

import re

from django.urls import reverse

from sopcrm.crm.mail.models import InboundStatus
from sopcrm.crm.mail.services.inbound import inbound_receive
from tests.mail.conftest import mime
from tests.messaging.conftest import make_deal


def _stranger_mail():
    return inbound_receive(
        mime(
            sender="Pedro Gómez <pedro@nowhere.example>",
            subject="Pumps for Lima",
            text="Hello, do you also make pumps? We need 200.\n\n-- \nPedro",
        ),
        source="test",
    )


def test_the_queue_lists_unmatched_mail_and_the_top_bar_counts_it(client_for, people):
    mail = _stranger_mail()
    assert mail.status == InboundStatus.UNMATCHED
    response = client_for(people.east_manager).get(reverse("mail_review"))
    assert response.status_code == 200
    [item] = response.context["items"]
    assert item.email == mail
    html = response.content.decode()
    assert "Pumps for Lima" in html
    assert "pedro@nowhere.example" in html
    assert "do you also make pumps?" in html
    nav = re.search(r'<ul class="nav-links">(.*?)</ul>', html, re.S).group(1)
    badge = r'href="/mail/review/"[^>]*>Mail review <span class="badge badge-count">1'
    assert re.search(badge, nav)


def test_assigning_puts_the_email_on_the_deals_timeline(client_for, people):
    deal = make_deal(people.alice)
    mail = _stranger_mail()
    client = client_for(people.east_manager)
    found = client.get(reverse("mail_review_search", args=[mail.pk]), {"q": "Ball"})
    assert found.status_code == 200
    assert f'value="deal:{deal.pk}"' in found.content.decode()
    response = client.post(
        reverse("mail_review_assign", args=[mail.pk]), {"record": f"deal:{deal.pk}"}, follow=True
    )
    assert response.context["items"] == []
    mail.refresh_from_db()
    assert (mail.status, mail.deal) == (InboundStatus.ASSIGNED, deal)
    page = client_for(people.alice).get(reverse("deal_detail", args=[deal.pk]))
    [entry] = [e for e in page.context["timeline"] if e.text.startswith("Customer replied by")]
    assert entry.text == "Customer replied by email: Pumps for Lima"
    assert "do you also make pumps?" in entry.body


def test_the_senders_own_records_are_offered_first(client_for, people):
    """Two open deals with the sender as contact: the reply could be about either."""
    first = make_deal(people.alice, email="pedro@nowhere.example")
    second = make_deal(people.bob, title="Gate valves", email="pedro@nowhere.example")
    make_deal(people.alice, title="Unrelated")
    mail = _stranger_mail()
    assert mail.status == InboundStatus.UNMATCHED
    [item] = client_for(people.east_manager).get(reverse("mail_review")).context["items"]
    assert {c.value for c in item.senders_records} == {f"deal:{first.pk}", f"deal:{second.pk}"}


def test_a_search_without_javascript_shows_the_records_in_the_page(client_for, people):
    deal = make_deal(people.alice)
    mail = _stranger_mail()
    response = client_for(people.admin).get(reverse("mail_review"), {"for": mail.pk, "q": "acme"})
    [item] = response.context["items"]
    assert [c.value for c in item.results] == [f"deal:{deal.pk}"]


def test_ignoring_takes_the_email_out_of_the_queue(client_for, people):
    mail = _stranger_mail()
    client = client_for(people.admin)
    response = client.post(reverse("mail_review_ignore", args=[mail.pk]), follow=True)
    assert response.context["items"] == []
    mail.refresh_from_db()
    assert mail.status == InboundStatus.IGNORED


def test_a_rep_cannot_see_the_review_queue(client_for, people):
    deal = make_deal(people.alice)
    mail = _stranger_mail()
    client = client_for(people.alice)
    assert client.get(reverse("mail_review")).status_code == 403
    assert client.get(reverse("mail_review_search", args=[mail.pk])).status_code == 403
    response = client.post(
        reverse("mail_review_assign", args=[mail.pk]), {"record": f"deal:{deal.pk}"}
    )
    assert response.status_code == 403
    assert client.post(reverse("mail_review_ignore", args=[mail.pk])).status_code == 403
    mail.refresh_from_db()
    assert mail.status == InboundStatus.UNMATCHED
    html = client.get(reverse("home")).content.decode()
    assert "Mail review" not in html


def test_a_record_the_manager_may_not_see_cannot_be_chosen(client_for, people):
    wendys = make_deal(people.wendy)
    mail = _stranger_mail()
    response = client_for(people.east_manager).post(
        reverse("mail_review_assign", args=[mail.pk]), {"record": f"deal:{wendys.pk}"}
    )
    assert response.status_code == 404
    mail.refresh_from_db()
    assert mail.status == InboundStatus.UNMATCHED
