"""Quality bar: 0 errors from the Nu HTML Checker (vnu-jar from npm, run on the machine's Java) on every page.

The pages are fetched from the demo site (staff pages signed in), written to files, and checked in one run
of the checker, which is far faster than starting Java per page.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx2
import pytest

from support import STAFF_PASSWORD, need, need_quality_tools, public_paths, staff_paths

pytestmark = pytest.mark.quality


def test_every_page_is_valid_html(demo_site, tmp_path):
    jar = need_quality_tools() / "vnu-jar" / "build" / "dist" / "vnu.jar"
    java = shutil.which("java")
    if java is None:
        need("the Nu HTML Checker needs Java (apt-get install default-jre-headless)")
    files = {}
    with httpx2.Client(base_url=demo_site.url) as client:
        for i, path in enumerate(public_paths()):
            files[tmp_path / f"public-{i}.html"] = path
            (tmp_path / f"public-{i}.html").write_bytes(client.get(path).content)
        login = client.post("/staff/login", data={"email": "admin@staff.example", "password": STAFF_PASSWORD})
        assert login.status_code == 303
        for i, path in enumerate(staff_paths(demo_site.ids)):
            files[tmp_path / f"staff-{i}.html"] = path
            (tmp_path / f"staff-{i}.html").write_bytes(client.get(path).content)
    run = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [
        f"{files.get(tmp_path / m['url'].rsplit('/', 1)[-1], m['url'])}: {m['message']} (line {m.get('lastLine')})"
        for m in messages
        if m["type"] == "error"
    ]
    assert not errors, "\n".join(errors)
