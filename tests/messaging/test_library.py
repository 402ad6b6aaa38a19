"""The template library (S-39): managers keep the team library, reps keep personal variants and
propose them, a manager promotes a proposal; every template is checked like a playbook entry."""

import pytest

from sopcrm.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from sopcrm.crm.messaging import selectors
from sopcrm.crm.messaging.definitions import definition_data
from sopcrm.crm.messaging.models import TemplateAction, TemplateChange, TemplateStatus
from sopcrm.crm.messaging.services.templates import (
    template_archive,
    template_create,
    template_decline,
    template_promote,
    template_propose,
    template_update,
    template_variant_create,
)


def _sections(text="Dear {{ contact_first_name }},"):
    return [
        {"key": "greeting", "title": {"en": "Greeting"}, "kind": "fixed", "text": text},
        {"key": "next_step", "title": {"en": "Next step"}, "kind": "free", "role": "cta"},
    ]


def _data(**changes):
    return {
        "key": "price_update",
        "name": {"en": "Price update", "zh": "价格更新"},
        "purpose": "other",
        "subject": "New prices for {{ company }}",
        "sections": _sections(),
        **changes,
    }


def test_manager_adds_a_team_template(people):
    template = template_create(actor=people.east_manager, data=_data(), team=True)
    assert template.owner is None
    assert (template.name, template.name_zh) == ("Price update", "价格更新")
    assert TemplateChange.objects.get(template=template).action == TemplateAction.CREATED


def test_undeclared_merge_field_is_refused_naming_section_and_field(people):
    data = _data(sections=_sections("Dear {{ first_name }}, about {{ deal.amount }}"))
    with pytest.raises(InvalidInput) as error:
        template_create(actor=people.east_manager, data=data, team=True)
    problems = error.value.problems
    assert [(p.field, p.code) for p in problems] == [
        ("sections.greeting.text", "unknown_merge_field"),
        ("sections.greeting.text", "bad_placeholder"),
    ]
    assert "greeting" in problems[0].message
    assert "{{ first_name }}" in problems[0].message
    assert "Did you mean {{ contact_first_name }}?" in problems[0].message


def test_undeclared_merge_field_in_the_subject_is_refused(people):
    with pytest.raises(InvalidInput) as error:
        template_create(actor=people.alice, data=_data(subject="Hi {{ nmae }}"))
    [problem] = error.value.problems
    assert (problem.field, problem.code) == ("subject", "unknown_merge_field")


def test_template_without_call_to_action_is_refused(people):
    sections = _sections()
    del sections[1]["role"]
    with pytest.raises(InvalidInput) as error:
        template_create(actor=people.alice, data=_data(sections=sections))
    assert [p.code for p in error.value.problems] == ["no_cta"]


def test_template_problems_are_all_reported_with_their_fields(people):
    data = _data(
        key="Bad Key",
        purpose="spam",
        stages=["quotd"],
        region="mars",
        colour="blue",
    )
    with pytest.raises(InvalidInput) as error:
        template_create(actor=people.alice, data=data)
    assert {p.field for p in error.value.problems} == {"key", "purpose", "colour"}
    with pytest.raises(InvalidInput) as error:
        template_create(actor=people.alice, data=_data(stages=["quotd"], region="mars"))
    assert {(p.field, p.code) for p in error.value.problems} == {
        ("stages.0", "unknown_stage"),
        ("region", "unknown_region"),
    }


def test_rep_cannot_add_to_or_edit_the_team_library(people, library):
    with pytest.raises(PermissionDenied):
        template_create(actor=people.alice, data=_data(), team=True)
    with pytest.raises(PermissionDenied):
        template_update(library["chase_1"], actor=people.alice, data={"subject": "Hello"})
    with pytest.raises(PermissionDenied):
        template_archive(library["chase_1"], actor=people.alice)
    library["chase_1"].refresh_from_db()
    assert library["chase_1"].status == TemplateStatus.ACTIVE


def test_manager_edits_the_team_library_and_the_edit_is_logged(people, library):
    template = template_update(
        library["chase_1"], actor=people.west_manager, data={"subject": "Any questions?"}
    )
    assert template.subject == "Any questions?"
    change = TemplateChange.objects.filter(template=template).last()
    assert (change.action, change.data, change.actor) == (
        TemplateAction.UPDATED,
        {"fields": ["subject"]},
        people.west_manager,
    )


def test_rep_saves_a_personal_variant_and_proposes_it(people, library):
    base = library["chase_1"]
    variant = template_variant_create(
        base, actor=people.alice, data={"subject": "Quick check on {{ product }}"}
    )
    assert (variant.owner, variant.based_on, variant.key) == (people.alice, base, "chase_1")
    assert variant.sections == base.sections
    # Bob does not see it; alice edits her own.
    with pytest.raises(NotFound):
        selectors.template_get(people.bob, variant.pk)
    variant = template_update(variant, actor=people.alice, data={"category": "advanced"})
    proposed = template_propose(variant, actor=people.alice, note="Shorter subject works better")
    assert proposed.status == TemplateStatus.PROPOSED
    assert list(selectors.template_proposals(people.east_manager)) == [proposed]
    assert list(selectors.template_proposals(people.west_manager)) == []


def test_rep_cannot_propose_someone_elses_variant(people, library):
    variant = template_variant_create(library["chase_1"], actor=people.alice)
    with pytest.raises(NotFound):
        template_propose(variant, actor=people.bob)


def test_manager_promotes_a_proposal_replacing_the_team_template(people, library):
    base = library["chase_1"]
    variant = template_variant_create(
        base, actor=people.alice, data={"subject": "Quick check on {{ product }}"}
    )
    template_propose(variant, actor=people.alice)
    with pytest.raises(PermissionDenied):
        template_promote(variant, actor=people.bob)
    with pytest.raises(NotFound):  # another team's proposal is not theirs to decide
        template_promote(variant, actor=people.west_manager)
    promoted = template_promote(variant, actor=people.east_manager)

    assert (promoted.owner, promoted.key, promoted.status) == (None, "chase_1", "active")
    assert promoted.subject == "Quick check on {{ product }}"
    assert promoted.based_on == variant
    base.refresh_from_db()
    variant.refresh_from_db()
    assert (base.status, variant.status) == ("archived", "archived")
    [live] = selectors.template_library(people.bob, purpose="chase_1")
    assert live == promoted
    assert TemplateChange.objects.filter(action=TemplateAction.PROMOTED).count() == 2


def test_a_proposal_based_on_nothing_becomes_a_new_team_template(people, library):
    own = template_create(actor=people.alice, data=_data())
    template_propose(own, actor=people.alice)
    promoted = template_promote(own, actor=people.admin)
    assert (promoted.owner, promoted.key) == (None, "price_update")
    assert "price_update" in {t.key for t in selectors.template_library(people.wendy)}


def test_a_declined_proposal_goes_back_to_its_owner(people, library):
    variant = template_variant_create(library["chase_2"], actor=people.alice)
    template_propose(variant, actor=people.alice)
    with pytest.raises(InvalidInput):
        template_decline(variant, actor=people.east_manager, reason=" ")
    declined = template_decline(variant, actor=people.east_manager, reason="Too pushy")
    assert declined.status == TemplateStatus.ACTIVE
    with pytest.raises(NotFound):  # back to private: no longer the manager's to see
        template_promote(declined, actor=people.east_manager)
    with pytest.raises(Conflict):
        template_promote(library["chase_2"], actor=people.east_manager)


def test_variant_key_must_be_unique_per_rep(people, library):
    template_variant_create(library["chase_2"], actor=people.alice)
    with pytest.raises(InvalidInput) as error:
        template_variant_create(library["chase_2"], actor=people.alice)
    assert error.value.problems[0].field == "key"
    other = template_variant_create(
        library["chase_2"], actor=people.alice, data={"key": "chase_2_short"}
    )
    assert other.key == "chase_2_short"


def test_archived_template_leaves_the_library_and_cannot_be_edited(people, library):
    template_archive(library["won_check"], actor=people.east_manager)
    assert "won_check" not in {t.key for t in selectors.template_library(people.alice)}
    with pytest.raises(Conflict):
        template_update(library["won_check"], actor=people.east_manager, data={"subject": "x"})


def test_library_lists_team_templates_first_and_filters(people, library):
    own = template_variant_create(
        library["chase_1"], actor=people.alice, data={"key": "chase_1_sea", "region": "sea"}
    )
    keys = [t.key for t in selectors.template_library(people.alice, stage="quoted")]
    assert keys[-1] == "chase_1_sea"
    assert set(keys) == {"quote_cover", "chase_1", "chase_2", "chase_3", "chase_1_sea"}
    assert selectors.template_library(people.alice, region="latam", purpose="chase_1") == [
        library["chase_1"]
    ]
    assert selectors.template_library(people.alice, region="sea", purpose="chase_1") == [
        library["chase_1"],
        own,
    ]
    by_step = selectors.template_library(people.alice, stage="quoted.pending_2nd")
    assert [t.key for t in by_step] == ["chase_2"]
    assert selectors.template_library(people.alice, language="es") == []


def test_definition_round_trips(library):
    data = definition_data(library["retouch_high"])
    assert data["when"] == 'reactivation_likelihood == "within_3_months"'
    assert data["name"] == {
        "en": "Re-touch a lost deal: high potential (quarterly)",
        "zh": "失单再营销：高潜（季度触达）",
    }


def test_stored_choices_are_the_playbooks():
    from sopcrm.crm.messaging import models
    from sopcrm.playbook import schema

    assert set(models.TemplatePurpose.values) == {p.value for p in schema.TemplatePurpose}
    assert set(models.TemplateCategory.values) == {c.value for c in schema.TemplateCategory}
