"""The playbook page: the active version and its history, and per pipeline the blueprint (a
Mermaid diagram drawn from vendored files) with its stages, transitions and tasks in words."""

import html as html_lib
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from sopcrm.playbook.loader import bundled_playbook_path
from sopcrm.process.playbooks import playbook_activate


def test_playbook_page_shows_the_active_version(client_for, people, playbook_version):
    response = client_for(people.alice).get(reverse("playbook"))
    assert response.context["active"] == playbook_version
    html = response.content.decode()
    assert "export_trade" in html
    assert "export_trade.yaml" in html
    assert "Export trade" in html


def test_playbook_page_lists_stages_with_their_numbers_and_steps(client_for, people):
    response = client_for(people.alice).get(reverse("playbook"))
    deals = next(o for o in response.context["objects"] if o.key == "deal")
    [export] = deals.pipelines
    stages = {s.label: s for s in export.stages}
    assert list(stages) == [
        "New",
        "Contacted",
        "Requirements confirmed",
        "Quoted",
        "Following up",
        "Won",
        "Lost",
    ]
    quoted = stages["Quoted"]
    assert (quoted.probability, quoted.expected_days, quoted.idle_days) == (50, 7, 7)
    assert quoted.steps[0] == "Pending 1st follow-up"
    assert stages["Won"].kind_label == "Won"


def test_playbook_page_lists_transitions_with_required_fields_rules_and_approval(
    client_for, people
):
    response = client_for(people.alice).get(reverse("playbook"))
    deals = next(o for o in response.context["objects"] if o.key == "deal")
    transitions = {t.key: t for t in deals.pipelines[0].transitions}
    contact = transitions["contact"]
    assert (contact.from_text, contact.to_text) == ("New", "Contacted")
    assert contact.required == [
        "First contact channel",
        "Requirements clear",
        "Expected purchase time",
    ]
    quote = transitions["send_quote"]
    assert quote.rules[0] == (
        "The quote must be valid on or after the quote date.",
        "quote_valid_until >= quote_date",
    )
    assert quote.rules[1][1] == (
        "quote_type == 'range_with_preconditions' or checklist_confirmed >= 6"
    )
    assert quote.approval == ("Discount above 20%", "discount_percent > 20")
    lose = transitions["lose"]
    assert lose.from_text == "any open stage"
    assert lose.optional == ["Competitor"]
    assert transitions["win"].required == ["Amount"]
    html = response.content.decode()
    assert "Expected purchase time" in html
    assert "discount_percent &gt; 20" in html


def test_playbook_page_describes_the_tasks_and_their_due_times(client_for, people):
    response = client_for(people.alice).get(reverse("playbook"))
    deals = next(o for o in response.context["objects"] if o.key == "deal")
    tasks = {t.key: t for t in deals.tasks}
    assert tasks["chase_1"].due == "3 days after Quote date (calendar time)"
    assert tasks["chase_2"].due == (
        "5 days after “1st follow-up (light check)” is completed (calendar time)"
    )
    assert tasks["chase_1"].open_in == "Quoted, Following up"
    assert tasks["chase_1"].completion == "channel, customer feedback, new information"
    assert tasks["order_confirmation"].open_in == "until done, also after the stage"
    leads = next(o for o in response.context["objects"] if o.key == "lead")
    first = {t.key: t for t in leads.tasks}["first_contact"]
    assert first.due == "24 hours after the inquiry arrived (working days)"


def test_playbook_page_has_a_mermaid_diagram_per_pipeline(client_for, people):
    response = client_for(people.alice).get(reverse("playbook"))
    html = response.content.decode()
    assert html.count('<pre class="mermaid"') == 2  # the lead and the deal pipeline
    deals = next(o for o in response.context["objects"] if o.key == "deal")
    diagram = deals.pipelines[0].diagram
    assert diagram.startswith("stateDiagram-v2")
    assert html_lib.escape(diagram, quote=False) in html.replace("&#x27;", "'").replace(
        "&quot;", '"'
    )
    assert 'src="/static/vendor/mermaid/mermaid.min.js"' in html
    assert 'src="/static/web/playbook.js"' in html
    assert "<script>" not in html  # the diagrams are drawn by a file, not an inline script


def test_only_the_playbook_page_loads_mermaid(client_for, people):
    html = client_for(people.alice).get(reverse("deal_list")).content.decode()
    assert "mermaid" not in html


def test_mermaid_and_its_licence_are_vendored(client, db):
    response = client.get("/static/vendor/mermaid/mermaid.min.js")
    assert response.status_code == 200
    assert client.get("/static/vendor/mermaid/LICENSE").status_code == 200
    assert client.get("/static/web/playbook.js").status_code == 200


def test_playbook_page_is_labelled_in_chinese(client_for, people):
    people.alice.language = "zh-hans"
    people.alice.save()
    response = client_for(people.alice).get(reverse("playbook"))
    deals = next(o for o in response.context["objects"] if o.key == "deal")
    assert deals.pipelines[0].label == "外贸销售"
    assert [s.label for s in deals.pipelines[0].stages][:2] == ["新线索", "已联系"]
    assert "已联系" in deals.pipelines[0].diagram
    html = response.content.decode()
    assert "首次联系方式" in html


def test_version_history_lists_the_newest_first(client_for, people, playbook_version):
    source = Path(bundled_playbook_path("export_trade")).read_text(encoding="utf-8")
    with time_machine.travel("2030-01-02 09:00 +0800", tick=False):
        newer = playbook_activate(source=source, source_name="export_v2.yaml", actor=people.admin)
    response = client_for(people.alice).get(reverse("playbook"))
    assert response.context["versions"] == [newer, playbook_version]
    assert response.context["active"] == newer
    html = response.content.decode()
    assert "export_v2.yaml" in html
    assert "2030-01-02 09:00" in html


# -- version pages -------------------------------------------------------------------------

ON_HOLD_STAGE = "          - {key: on_hold, label: {en: On hold, zh: 搁置}, probability: 20}\n"
HOLD_TRANSITION = """\
          - key: hold
            label: {en: Put on hold, zh: 暂时搁置}
            from: [following_up]
            to: on_hold
"""


def _export_source() -> str:
    return Path(bundled_playbook_path("export_trade")).read_text(encoding="utf-8")


def _with_on_hold() -> str:
    """The export-trade playbook with a deal stage "On hold" and a transition into it."""
    source = _export_source()
    following = "          - {key: following_up, label: {en: Following up, zh: 跟进中}, "
    start = source.index(following)
    end = source.index("\n", start) + 1
    source = source[:end] + ON_HOLD_STAGE + source[end:]
    win = "          - key: win\n"
    return source.replace(win, HOLD_TRANSITION + win, 1)


@pytest.fixture
def three_versions(people, playbook_version):
    """v1 (the default), v2 with "On hold", v3 the default again (active)."""
    with time_machine.travel("2030-01-02 09:00 +0800", tick=False):
        second = playbook_activate(
            source=_with_on_hold(), source_name="export_hold.yaml", actor=people.admin
        )
    with time_machine.travel("2030-02-03 10:30 +0800", tick=False):
        third = playbook_activate(
            source=_export_source(), source_name="export_trade.yaml", actor=people.admin
        )
    return playbook_version, second, third


def _deal_stages(response) -> list[str]:
    deals = next(o for o in response.context["objects"] if o.key == "deal")
    return [s.label for s in deals.pipelines[0].stages]


def test_version_history_links_every_version_to_its_page(client_for, people, three_versions):
    html = client_for(people.alice).get(reverse("playbook")).content.decode()
    for version in three_versions:
        assert f'href="{reverse("playbook_version", args=[version.number])}"' in html


def test_an_old_version_page_shows_its_own_stages_and_transitions(
    client_for, people, three_versions
):
    _first, second, _third = three_versions
    response = client_for(people.alice).get(reverse("playbook_version", args=[2]))
    assert response.status_code == 200
    assert response.context["shown"] == second
    assert "On hold" in _deal_stages(response)
    deals = next(o for o in response.context["objects"] if o.key == "deal")
    assert "hold" in {t.key for t in deals.pipelines[0].transitions}
    # The active version no longer has it.
    assert "On hold" not in _deal_stages(client_for(people.alice).get(reverse("playbook")))


def test_an_old_version_is_marked_not_active_with_when_it_was_applied_and_replaced(
    client_for, people, three_versions
):
    *_older, third = three_versions
    response = client_for(people.alice).get(reverse("playbook_version", args=[2]))
    assert response.context["replaced_by"] == third
    html = response.content.decode()
    assert "not active" in html
    assert "2030-01-02 09:00" in html  # applied
    assert "2030-02-03 10:30" in html  # replaced
    assert "export_hold.yaml" in html
    assert f'href="{reverse("playbook")}"' in html


def test_the_active_version_page_is_not_marked_not_active(client_for, people, three_versions):
    response = client_for(people.alice).get(reverse("playbook_version", args=[3]))
    assert response.status_code == 200
    assert response.context["replaced_by"] is None
    assert "not active" not in response.content.decode()


def test_an_old_version_page_summarises_what_the_active_version_changed(
    client_for, people, three_versions
):
    response = client_for(people.alice).get(reverse("playbook_version", args=[2]))
    groups = {g.label: g for g in response.context["changes"]}
    assert groups["Stages"].removed == ["Deals · On hold"]
    assert groups["Transitions"].removed == ["Deals · Put on hold"]
    assert groups["Stages"].added == []
    assert "Deals · On hold" in response.content.decode()


def test_an_identical_old_version_shows_no_differences(client_for, people, three_versions):
    response = client_for(people.alice).get(reverse("playbook_version", args=[1]))
    assert response.context["changes"] == []
    assert "No differences" in response.content.decode()


def test_a_version_number_that_does_not_exist_is_not_found(client_for, people, playbook_version):
    response = client_for(people.alice).get(reverse("playbook_version", args=[99]))
    assert response.status_code == 404
    other_key = reverse("playbook_version", args=[1]) + "?key=no_such_playbook"
    assert client_for(people.alice).get(other_key).status_code == 404


def test_a_version_of_another_playbook_is_named_by_its_key(client_for, people, playbook_version):
    source = Path(bundled_playbook_path("generic_b2b")).read_text(encoding="utf-8")
    playbook_activate(source=source, source_name="generic_b2b.yaml", actor=people.admin)
    html = client_for(people.alice).get(reverse("playbook")).content.decode()
    link = reverse("playbook_version", args=[1]) + "?key=export_trade"
    assert f'href="{link}"' in html
    response = client_for(people.alice).get(link)
    assert response.context["shown"] == playbook_version
    assert "changes" not in response.context  # another playbook: nothing to compare


def test_version_page_queries_do_not_grow_with_the_history(
    client_for, people, three_versions, django_assert_max_num_queries
):
    client = client_for(people.alice)
    client.get(reverse("playbook_version", args=[2]))  # parses and caches the versions
    with django_assert_max_num_queries(8):
        client.get(reverse("playbook_version", args=[2]))
