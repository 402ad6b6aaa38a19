"""Helpers for the web tests: a test client signed in as one of the personas."""

from collections.abc import Callable

import pytest
from django.test import Client

from sopcrm.core.models import User


@pytest.fixture
def client_for(client: Client) -> Callable[[User], Client]:
    """`client_for(people.alice)` is the test client signed in as Alice."""

    def sign_in(user: User) -> Client:
        client.force_login(user)
        return client

    return sign_in
