"""The public site's GET pages: content turned into HTML once, then served as bytes from the page cache.

- `rendering.py` `cached()` and `PageEnv` (pages built once per content version and day), `render()`
- `assets.py`    static files under fingerprinted, immutable URLs
- `pages.py`     the home page and customer care
- `offices.py`   `/offices` and each office (map, directions, LocalBusiness JSON-LD)
- `careers.py`   `/careers` with filters, and each job (JobPosting JSON-LD, 410 once closed)
- `insights.py`  articles, categories, Atom feeds (Article JSON-LD)
- `site_pages.py` `content/pages/*.md` at `/{slug}` (privacy policy, accessibility, about): the router's default
- `crawlers.py`  `/sitemap.xml` (with `lastmod`), `/robots.txt`, `/.well-known/security.txt`
- `kinds.py`     each page's kind (where "Was this information helpful?" shows) and title
- `local.py`     hours, dates, pay, counts and plurals in the office's locale (Babel)
- `pictures.py`  `<picture>` for content pictures, and the stylesheet with the brand colours
- `media_files.py` `/media/...` (the encoded pictures) and the thread that encodes what is missing
- `jsonld.py`, `atom.py`  the structured data and the feeds, built from content

Forms (their GET page, POST and thanks) are in `intake/`, beside what they write.
"""
