"""Content: the agency's site as files (YAML and Markdown), validated into one immutable snapshot.

- `models.py`   what each file may hold, and the `Content` snapshot built from them
- `markdown.py` the one Markdown renderer (raw HTML off)
- `loader.py`   `load_content(dir)`: read and cross-check every file, or `ContentError` listing each problem
- `reload.py`   `ContentStore`: the current snapshot, swapped whole on SIGHUP or when files change
"""

from frontdesk.content.loader import ContentError, load_content
from frontdesk.content.models import Category, Content, Job, Office, Post, SiteFile

__all__ = ["Category", "Content", "ContentError", "Job", "Office", "Post", "SiteFile", "load_content"]
