"""Screenshots of the site at 1280 and 375 px into docs/screenshots/ (run by hand; not a test).

    .venv/bin/python tests/quality/screenshots.py [--out DIR] [--only home,office]

It serves the demo site after some use (`support.DemoSite`: the demo content on a fresh database with a
few submissions, deliveries, comments and votes) under a real uvicorn, signs the demo admin in for the
staff pages, and takes full-page screenshots with Debian's Chromium through Playwright, scrolling through
each page first so that its lazy pictures have loaded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import CHROMIUM, CHROMIUM_ARGS, ROOT, STAFF_PASSWORD, DemoSite

PAGES = {
    "home": "/",
    "office": "/offices/sioux-falls-agency",
    "careers": "/careers",
    "job": "/careers/customer-care-specialist",
    "request-info": "/request-info",
    "article": "/insights/why-hospitals-belong-on-social-media",
    "staff-feedback": "/staff/feedback?range=30d",
    "staff-deliveries": "/staff/deliveries",
}
WIDTHS = (1280, 375)
SCROLL_THROUGH = (
    "async () => { for (let y = 0; y < document.body.scrollHeight; y += 400) {"
    " window.scrollTo(0, y); await new Promise(r => setTimeout(r, 40)); } window.scrollTo(0, 0); }"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", default="", help="comma-separated names of PAGES")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from frontdesk.staff.passwords import hash_password

    only = {n for n in args.only.split(",") if n}
    args.out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="frontdesk-shots-"))
    with DemoSite(data, data / "media", hash_password(STAFF_PASSWORD)) as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900 if width > 500 else 800})
            page = context.new_page()
            page.route("https://**/*", lambda route: route.abort())
            site.sign_in(page)
            for name, path in PAGES.items():
                if only and name not in only:
                    continue
                page.goto(site.url + path, wait_until="networkidle")
                page.evaluate(SCROLL_THROUGH)
                page.wait_for_load_state("networkidle")
                target = args.out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
