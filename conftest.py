"""Suite-wide pytest setup that must see every test (app fixtures live in tests/conftest.py).

Every transactional test (``django_db(transaction=True)``, ``live_server``, ``transactional_db``) starts from the
database exactly as the migrations left it, seeded rows included (the Standard SLA policy, the complaint routing):
it runs with ``serialized_rollback``. pytest-django's default empties the tables after each such test and lets
``post_migrate`` recreate content types and permissions under new ids, so the rows the data migrations wrote are gone
for every later transactional test, and a test that asks for ``serialized_rollback`` itself then fails on the
recreated content types (duplicate key) whenever it runs after one that did not. Making all of them serialized keeps
each one independent of the order the suite runs in.
"""

import pytest

# The log scan: every log record of the run to one file, scanned at the end for secrets and contact data.
pytest_plugins = ["tests.logscan"]


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    fixtures = getattr(item, "fixturenames", ())
    return "live_server" in fixtures or "transactional_db" in fixtures


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not _is_transactional(item):
            continue
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker is not None else {}
        kwargs.update(transaction=True, serialized_rollback=True)
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)  # first: get_closest_marker picks it
