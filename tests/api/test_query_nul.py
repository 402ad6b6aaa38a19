"""Query-string parameters with a NUL character: a 422 naming the parameter on both databases
(PostgreSQL cannot store or compare NUL in text: schemathesis found a 500 on the templates'
`language`)."""

import pytest

from .conftest import fields_of


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/templates?language=%00", "language"),
        ("/templates?purpose=a%00b", "purpose"),
        ("/deals?filter=stage:eq:%00", "filter"),
        ("/deals?sort=%00", "sort"),
        ("/deals?cursor=%00", "cursor"),
    ],
)
def test_a_nul_in_a_query_parameter_is_refused_naming_it(people, token_as, url, field):
    response = token_as(people.admin).get(url)
    assert response.status_code == 422
    assert [name for name, _code in fields_of(response)] == [field]
