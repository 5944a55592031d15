"""The kind of each public page ("office", "article", ...), as site.yaml's `feedback` setting names them.

"Was this information helpful?" is shown by kind: on articles, office pages and customer care by default,
not on the home page or the lists (see `content.models.Feedback`). The page builders ask `takes_feedback`
when they render, and the feedback form accepts votes only for the pages that show the question.
"""

from __future__ import annotations

from frontdesk.content import Content


def page_kind(content: Content, path: str) -> str | None:
    """Which kind of page a path is, as site.yaml's `feedback` names them (None: not a content page)."""
    if path == "/":
        return "home"
    parts = path.strip("/").split("/")
    first = parts[0]
    if first == "offices":
        return "offices" if len(parts) == 1 else "office"
    if first == "careers":
        return "careers" if len(parts) == 1 else "job" if len(parts) == 2 else None
    if first == "insights":
        return "article" if len(parts) == 2 else "insights"
    if path == "/customer-care":
        return "customer_care"
    if len(parts) == 1 and content.page(first) is not None:
        return "page"
    return None


def takes_feedback(content: Content, path: str) -> bool:
    """Does this page show "Was this information helpful?" (by its kind, as site.yaml says)?"""
    kind = page_kind(content, path)
    return kind is not None and content.site.feedback.shown_on(kind)


def page_title(content: Content, path: str) -> str | None:
    """The title a public page shows, for lists of pages (staff feedback tallies); None for a path we do not know."""
    fixed = {
        "/": "Home",
        "/offices": "Our offices",
        "/careers": "Careers & Internships",
        "/insights": "Insights",
        "/customer-care": "Customer care",
        "/request-info": "Request information",
    }
    if path in fixed:
        return fixed[path]
    parts = path.strip("/").split("/")
    if parts[0] == "offices" and len(parts) == 2 and (office := content.office(parts[1])):
        return str(office.name)
    if parts[0] == "careers" and len(parts) == 2 and (job := content.job(parts[1])):
        return str(job.title)
    if parts[0] == "insights" and len(parts) == 3 and parts[1] == "category" and (c := content.category(parts[2])):
        return f"Insights: {c.name}"
    if parts[0] == "insights" and len(parts) == 2 and (post := content.post(parts[1])):
        return str(post.title)
    if len(parts) == 1 and (page := content.page(parts[0])):
        return str(page.title)
    return None
