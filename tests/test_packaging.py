"""Packaging promises: a license file that matches the license expression, floors that hold what
the code needs, and a constraints file that pins what the suite runs with, used by `make test`."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def _requirements(items: list[str]) -> dict[str, Requirement]:
    parsed = (Requirement(item) for item in items)
    return {canonicalize_name(r.name): r for r in parsed}


RUNTIME = _requirements(PROJECT["dependencies"])
EXTRAS = {name: _requirements(items) for name, items in PROJECT["optional-dependencies"].items()}


def _floor(specifier: SpecifierSet) -> Version | None:
    floors = [Version(s.version) for s in specifier if s.operator == ">="]
    return max(floors) if floors else None


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt pins exactly: {line!r}"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def test_the_license_file_matches_the_license_expression() -> None:
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in text
    # PEP 639: with a license expression, license classifiers are not allowed.
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]
    assert "Programming Language :: Python :: 3.11" in PROJECT["classifiers"]


def test_the_build_backend_reads_license_expressions() -> None:
    requires = _requirements(PYPROJECT["build-system"]["requires"])
    floor = _floor(requires["setuptools"].specifier)
    assert floor is not None and floor >= Version("77")


def test_floors_hold_what_the_code_needs() -> None:
    needs = {
        # typer._click (the CLI's Click) exists from 0.26 on; 0.26.0 ignores an option's
        # envvar (connect's SFIMPORT_REFRESH_TOKEN), 0.26.1 reads it.
        "typer": "0.26.1",
        "rich": "13.8",
        "jinja2": "3.1.6",
        "h11": "0.16",
        # Starlette imported directly; from 0.41.1 it imports python_multipart, not 'multipart'.
        "starlette": "0.41.1",
        "fastapi": "0.115.4",
        # DuckDB 1.5 cannot open My Data as release 0.1.0 wrote it (its storage format);
        # 2.0 can (tests/fixtures/data-folder-release-0.1.0.tar.gz).
        "duckdb": "2.0",
        # The emulator sorts with per-key null placement: (name, order, nulls) keys, 25 on.
        "pyarrow": "25",
    }
    for name, least in needs.items():
        floor = _floor(RUNTIME[name].specifier)
        assert floor is not None and floor >= Version(least), (name, floor)
    for requirement in RUNTIME.values():
        assert _floor(requirement.specifier) is not None, f"{requirement.name} has no floor"


def test_tools_are_split_out_of_one_dev_extra() -> None:
    assert {"test", "lint", "bench", "dev"} <= set(EXTRAS)
    assert "pytest" in EXTRAS["test"] and "ruff" not in EXTRAS["test"]
    assert "ruff" in EXTRAS["lint"] and "mypy" in EXTRAS["lint"] and "pytest" not in EXTRAS["lint"]
    assert "py-spy" in EXTRAS["bench"] and "py-spy" not in EXTRAS["test"]
    assert EXTRAS["dev"] == _requirements(["sfimport[test,lint,bench]"])


def test_constraints_pin_every_dependency_inside_its_range() -> None:
    pins = _pins()
    for requirement in [*RUNTIME.values(), *EXTRAS["test"].values(), *EXTRAS["lint"].values()]:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"constraints.txt does not pin {name}"
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, pins[name])


def test_the_suite_runs_with_the_pinned_versions_of_the_product_dependencies() -> None:
    pins = _pins()
    for name in RUNTIME:
        assert Version(metadata.version(name)) == pins[name], (
            f"{name} {metadata.version(name)} is installed, constraints.txt pins {pins[name]}: "
            "reinstall with 'pip install -c constraints.txt -e .[test,lint]' or update the file"
        )


def test_make_installs_with_the_constraints_file() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if re.search(r"pip install .*-e ", line)]
    assert installs, "the Makefile installs the project"
    for line in installs:
        assert "-c $(CONSTRAINTS)" in line, line
    assert re.search(r"^CONSTRAINTS := constraints\.txt$", makefile, re.MULTILINE)
    assert any(".[test,lint]" in line for line in installs)


def test_project_urls_name_only_addresses_that_exist() -> None:
    # Each is a full URL (setuptools refuses others). There is no public site yet: only the
    # API reference a running `sfimport serve` gives at its default address; a public host
    # named here must be a real one (update this test when the project is published).
    urls = PROJECT["urls"]
    assert urls["Documentation"] == "http://127.0.0.1:8000/docs"
    for url in urls.values():
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.netloc, url
        assert parts.hostname == "127.0.0.1", f"{url}: no public address exists yet"


def test_the_floors_check_has_a_make_target_and_skips_only_the_tool_bound_test() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^floors:.*\n\tscripts/check-floors$", makefile, re.MULTILINE), makefile
    script = (ROOT / "scripts" / "check-floors").read_text(encoding="utf-8")
    assert re.findall(r"--ignore=(\S+)", script) == ["tests/web/test_api_schemathesis.py"]
