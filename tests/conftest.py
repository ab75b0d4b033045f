"""Fixtures every test package may use, and suite-wide collection rules: which tests share a
pytest-xdist worker (scripts/test runs the suite with ``--dist loadgroup``)."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.postgres"]


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the items
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests run one after another on one worker: each drives a whole Chromium (two at
    # once on a small machine starve each other past their timeouts), and they write their
    # step screenshots under the same names in test-output/screenshots/.
    # By folder, not by marker: a browser test is one that drives Chromium, marked or not.
    for item in items:
        if "browser" in item.nodeid.split("/")[:2] or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
