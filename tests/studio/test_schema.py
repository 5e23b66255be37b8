"""Schemathesis against the studio's OpenAPI schema, in-process: no server error, and every response matches
the schema it documents (status code, content type, body).

Generated requests carry the launch token and the CSRF header, so they reach the routes; the film is a copy of
the tiny studio film, changed freely by the requests. Left out: /api/events (a stream that never ends), and the
three routes that start background work (re-roll, upgrade, render), which tests/studio/test_api.py covers.
Each operation is driven by Hypothesis from its schemathesis strategy (schemathesis's pytest plugin does not
run under this pytest).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from tests.studio.conftest import CSRF, TOKEN

BASE = "http://127.0.0.1:8765"  # the Host check needs a loopback host and the port the app believes it has
HEADERS = {"Authorization": f"Bearer {TOKEN}", "X-CSRF-Token": CSRF}
BACKGROUND = ["/api/events", "/api/shots/{code}/reroll", "/api/takes/{label}/upgrade", "/api/cut/render"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 8  # per operation; about thirty operations
# Random strings almost never name a shot or take of the film, so path parameters are drawn from real ones
# (and one unknown each); the response schemas checked are the app's own, untouched.
PATH_VALUES = {"code": ["1A", "1B", "1C", "9Z"], "label": ["1A-t001", "1B-t002", "1C-t003", "1A-t009"],
               "clip_id": [1, 2, 3, 999], "job_id": [1, 2, 999]}


def _narrow_path_parameters(spec: dict) -> dict:
    for ops in spec["paths"].values():
        for op in ops.values():
            for param in op.get("parameters", []):
                if param["in"] == "path" and param["name"] in PATH_VALUES:
                    param["schema"] = {"enum": PATH_VALUES[param["name"]]}
    return spec


def test_no_server_errors_and_responses_match_the_schema(_studio_film_template: Path, tmp_path: Path) -> None:
    from storyreel.studio import create_app

    root = Path(shutil.copytree(_studio_film_template, tmp_path / "film"))
    app = create_app(root, token=TOKEN, csrf=CSRF)
    with TestClient(app, base_url=BASE, headers=HEADERS) as client:
        spec = client.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(_narrow_path_parameters(spec))
    schema.app = app
    operations = [result.ok() for result in schema.exclude(path=BACKGROUND).get_all_operations()]
    assert len(operations) >= 25
    failures: dict[str, BaseException] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            case.call_and_validate(base_url=BASE, headers=HEADERS, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # noqa: BLE001  every operation is tried; all failures are reported together
            failures[operation.label] = exc
    assert not failures, "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())
