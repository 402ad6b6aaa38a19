"""`active_version_pinned`: the active playbook version read once for a batch."""

import pytest

from sopcrm.process.playbooks import active_version, active_version_pinned


@pytest.mark.django_db
def test_inside_the_block_the_active_version_is_not_read_again(django_assert_num_queries, people):
    with active_version_pinned() as pinned, django_assert_num_queries(0):
        assert active_version() == pinned


@pytest.mark.django_db
def test_after_the_block_the_active_version_is_read_again(django_assert_num_queries, people):
    with active_version_pinned():
        pass
    with django_assert_num_queries(1):
        active_version()
