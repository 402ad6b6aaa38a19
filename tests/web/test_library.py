"""The template library page (S-39): the team's templates and the user's variants with filters; a
template's sections and history; a rep's variant edited, proposed and promoted by the manager;
reps never reach the team library's editing or the promote buttons."""

from django.urls import reverse

from sopcrm.crm.messaging.models import EmailTemplate, TemplateAction, TemplateStatus
from sopcrm.crm.messaging.services.templates import template_propose, template_variant_create


def _team(key: str) -> EmailTemplate:
    return EmailTemplate.objects.get(owner__isnull=True, key=key, status="active")


def _edit_form(client, template: EmailTemplate) -> dict:
    """The edit form as shown, to change and send back."""
    response = client.get(reverse("template_edit", args=[template.pk]))
    assert response.status_code == 200
    data: dict = {}
    form = response.context["form"]
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    formset = response.context["formset"]
    for key, value in formset.management_form.initial.items():
        data[f"sections-{key}"] = value
    for section_form in formset.forms:
        for name in section_form.fields:
            value = section_form[name].value()
            if isinstance(value, bool):
                if value:
                    data[section_form.add_prefix(name)] = "on"
            elif value is not None:
                data[section_form.add_prefix(name)] = value
    return data


def test_the_library_lists_the_team_templates_and_my_variants(client_for, people):
    variant = template_variant_create(_team("chase_2"), actor=people.alice)
    template_variant_create(_team("chase_1"), actor=people.bob)  # bob's: not alice's business
    response = client_for(people.alice).get(reverse("template_library"))
    assert response.status_code == 200
    team = [row.template.key for row in response.context["team"]]
    assert {"first_reply", "quote_cover", "chase_1", "won_check"} <= set(team)
    assert [row.template for row in response.context["mine"]] == [variant]
    html = response.content.decode()
    assert f'href="{reverse("template_detail", args=[variant.pk])}"' in html
    assert "Proposals waiting for you" not in html


def test_the_library_filters_by_purpose_and_status(client_for, people):
    client = client_for(people.alice)
    response = client.get(reverse("template_library"), {"purpose": "chase_2"})
    assert [row.template.key for row in response.context["team"]] == ["chase_2"]
    response = client.get(reverse("template_library"), {"status": "archived"})
    assert response.context["team"] == []
    response = client.get(reverse("template_library"), {"language": "en", "region": "sea"})
    assert len(response.context["team"]) == 9  # every bundled one is for any region


def test_the_template_page_shows_its_sections_and_history(client_for, people):
    template = _team("chase_1")
    response = client_for(people.alice).get(reverse("template_detail", args=[template.pk]))
    assert response.status_code == 200
    sections = response.context["sections"]
    assert [s.key for s in sections][:1] == ["greeting"]
    assert any(s.is_cta and not s.fixed for s in sections)
    [change] = response.context["changes"]
    assert change.action == "Added from the playbook"
    html = response.content.decode()
    assert "{{ contact_first_name }}" in html  # the author's text, merge fields as written
    assert "Make my variant" in html


def test_a_rep_sees_no_promote_buttons_and_cannot_edit_the_team_library(client_for, people):
    variant = template_variant_create(_team("chase_1"), actor=people.bob)
    template_propose(variant, actor=people.bob)
    client = client_for(people.alice)
    html = client.get(reverse("template_library")).content.decode()
    assert "Promote" not in html and "Decline" not in html
    team = _team("chase_1")
    html = client.get(reverse("template_detail", args=[team.pk])).content.decode()
    assert "Promote" not in html
    assert reverse("template_edit", args=[team.pk]) not in html
    assert client.get(reverse("template_edit", args=[team.pk])).status_code == 403
    assert client.post(reverse("template_edit", args=[team.pk]), {}).status_code == 403
    assert client.post(reverse("template_archive", args=[team.pk])).status_code == 403
    # Bob's proposal is not Alice's to see, let alone to promote.
    assert client.post(reverse("template_promote", args=[variant.pk])).status_code == 404
    assert client.get(reverse("template_edit", args=[variant.pk])).status_code == 404
    variant.refresh_from_db()
    assert variant.status == TemplateStatus.PROPOSED


def test_a_rep_makes_edits_and_proposes_a_variant_and_the_manager_promotes_it(client_for, people):
    team = _team("chase_2")
    alice = client_for(people.alice)
    response = alice.post(reverse("template_variant", args=[team.pk]))
    variant = EmailTemplate.objects.get(owner=people.alice, key="chase_2")
    assert response["Location"] == reverse("template_detail", args=[variant.pk])
    assert variant.based_on == team

    form = _edit_form(alice, variant)
    form["subject"] = "Something new about {{ product }}"
    response = alice.post(reverse("template_edit", args=[variant.pk]), form)
    assert response.status_code == 302, response.context["form"].errors
    variant.refresh_from_db()
    assert variant.subject == "Something new about {{ product }}"
    assert variant.sections == team.sections  # untouched sections stay exactly as they were

    response = alice.post(
        reverse("template_propose", args=[variant.pk]), {"note": "Shorter subject"}
    )
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.status == TemplateStatus.PROPOSED

    manager = client_for(people.east_manager)
    page = manager.get(reverse("template_library"))
    [proposal] = page.context["proposals"]
    assert proposal.row.template == variant and proposal.note == "Shorter subject"
    assert "Promote to the team library" in page.content.decode()
    response = manager.post(reverse("template_promote", args=[variant.pk]), follow=True)
    promoted = EmailTemplate.objects.get(owner__isnull=True, key="chase_2", status="active")
    assert promoted.subject == "Something new about {{ product }}"
    assert response.redirect_chain[-1][0] == reverse("template_detail", args=[promoted.pk])
    team.refresh_from_db()
    variant.refresh_from_db()
    assert team.status == variant.status == TemplateStatus.ARCHIVED
    actions = {c.action for c in response.context["changes"]}
    assert actions == {str(TemplateAction.PROMOTED.label)}
    # The variant's history tells the whole story.
    alice = client_for(people.alice)
    history = alice.get(reverse("template_detail", args=[variant.pk])).context["changes"]
    assert [c.action for c in history] == [
        "Promoted into the team library",
        "Proposed for the team library",
        "Edited",
        "Personal variant saved",
    ]
    assert history[1].detail == "Note: Shorter subject"


def test_declining_needs_a_reason(client_for, people):
    variant = template_variant_create(_team("chase_1"), actor=people.alice)
    template_propose(variant, actor=people.alice)
    manager = client_for(people.east_manager)
    response = manager.post(reverse("template_decline", args=[variant.pk]), {"reason": " "})
    assert response.status_code == 200
    assert response.context["decline_form"].errors["reason"]
    variant.refresh_from_db()
    assert variant.status == TemplateStatus.PROPOSED
    response = manager.post(
        reverse("template_decline", args=[variant.pk]), {"reason": "Too long for a chase."}
    )
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.status == TemplateStatus.ACTIVE
    history = client_for(people.alice).get(reverse("template_detail", args=[variant.pk]))
    assert history.context["changes"][0].detail == "Reason: Too long for a chase."


def test_the_services_problems_are_shown_beside_the_section_fields(client_for, people):
    variant = template_variant_create(_team("chase_1"), actor=people.alice)
    client = client_for(people.alice)
    form = _edit_form(client, variant)
    form["sections-0-text"] = "Dear {{ contact_frist_name }},"
    form["sections-3-cta"] = "on"  # a second call to action
    response = client.post(reverse("template_edit", args=[variant.pk]), form)
    assert response.status_code == 200
    formset = response.context["formset"]
    assert "contact_first_name" in " ".join(formset.forms[0].errors["text"])
    # The second call to action (in the email's order) is the one named.
    [cta_error] = [f for f in formset.forms if f.errors.get("cta")]
    assert "only one section may be the call to action" in cta_error.errors["cta"][0]
    variant.refresh_from_db()
    assert "frist" not in str(variant.sections)


def test_the_manager_edits_and_archives_a_team_template(client_for, people):
    team = _team("won_check")
    client = client_for(people.east_manager)
    form = _edit_form(client, team)
    form["name_zh"] = "售后回访（新）"
    form["sections-0-DELETE"] = "on"
    response = client.post(reverse("template_edit", args=[team.pk]), form)
    assert response.status_code == 302, response.context["form"].errors
    team.refresh_from_db()
    assert team.name_zh == "售后回访（新）"
    assert team.sections[0]["key"] != "greeting"
    client.post(reverse("template_archive", args=[team.pk]))
    team.refresh_from_db()
    assert team.status == TemplateStatus.ARCHIVED


def test_library_page_queries_stay_bounded(client_for, people, django_assert_max_num_queries):
    """More templates and proposals do not add queries per row."""
    client = client_for(people.east_manager)

    def count(url: str) -> int:
        with django_assert_max_num_queries(13) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    library = reverse("template_library")
    variant = template_variant_create(_team("chase_1"), actor=people.alice)
    template_propose(variant, actor=people.alice)
    few = count(library)
    for key in ("chase_2", "chase_3", "won_check", "quote_cover"):
        variant = template_variant_create(_team(key), actor=people.alice)
        template_propose(variant, actor=people.alice)
    assert count(library) == few
    assert count(reverse("template_detail", args=[variant.pk])) <= 13
