"""The public site's GET pages: content turned into HTML once, then served as bytes from the page cache.

- `rendering.py` `cached()` and `PageEnv` (pages built once per content version and day), `render()`
- `assets.py`    static files under fingerprinted, immutable URLs
- `pages.py`     the home page and customer care
- `offices.py`   `/offices` and each office (map, directions, LocalBusiness JSON-LD)
- `careers.py`   `/careers` with filters, and each job (JobPosting JSON-LD, 410 once closed)
- `insights.py`  articles, categories, Atom feeds (Article JSON-LD)
- `crawlers.py`  `/sitemap.xml`, `/robots.txt`
- `jsonld.py`, `atom.py`  the structured data and the feeds, built from content

Forms (their GET page, POST and thanks) are in `intake/`, beside what they write.
"""
