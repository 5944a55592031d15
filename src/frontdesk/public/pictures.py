"""Pictures in pages: a content picture as a responsive `<picture>`, and the site's brand stylesheet.

`picture(pic, sizes)` (a template global) writes the `<picture>` for a `Rendition` from `media/`: one
`<source>` per modern format (AVIF, WebP) with every width in `srcset`, and an `<img>` in the fallback
format that carries `width` and `height` (so the page never shifts while the picture loads), the
`alt` text, `decoding="async"`, and either `loading="lazy"` (below the fold, the default) or
`fetchpriority="high"` (the page's largest picture, its Largest Contentful Paint: never lazy).

`stylesheet()` is the URL of the site's stylesheet with the brand colours of `site.yaml` appended as CSS
variables: one file, fingerprinted like every static file, so colours reach the page without any inline
style (the CSP forbids those) and without a second request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2
from markupsafe import Markup, escape

from frontdesk.content import Content
from frontdesk.content.models import Brand, Picture
from frontdesk.media import ImageLibrary, Rendition
from frontdesk.public.assets import Assets
from frontdesk.public.kinds import page_title


def rendition(media: ImageLibrary, content: Content, pic: Picture | None) -> Rendition | None:
    if pic is None:
        return None
    return media.renditions(content).get(pic.src)


def picture_html(found: Rendition, alt: str, sizes: str, *, priority: bool = False, cls: str = "") -> Markup:
    loading = ' fetchpriority="high"' if priority else ' loading="lazy"'
    klass = f' class="{escape(cls)}"' if cls else ""
    img = (
        f'<img src="{found.url(width=800)}" alt="{escape(alt)}" width="{found.width}" height="{found.height}"'
        f' decoding="async"{loading}'
    )
    if found.fallback == "svg":
        return Markup(img + f"{klass}>")  # noqa: S704 - every value above is escaped or generated
    img += f' srcset="{found.srcset(found.fallback)}" sizes="{escape(sizes)}">'
    sources = "".join(
        f'<source type="image/{fmt}" srcset="{found.srcset(fmt)}" sizes="{escape(sizes)}">' for fmt in found.modern
    )
    return Markup(f"<picture{klass}>{sources}{img}</picture>")  # noqa: S704 - escaped or generated above


def template_globals(media: ImageLibrary, assets: Assets, public_url: str) -> dict[str, Callable[..., Any]]:
    """The template functions for pictures and the brand stylesheet; each reads `content` from the context."""

    @jinja2.pass_context
    def picture(
        ctx: Any, pic: Picture | None, sizes: str = "100vw", *, priority: bool = False, cls: str = ""
    ) -> Markup:
        found = rendition(media, ctx["content"], pic)
        if found is None or pic is None:
            return Markup("")
        return picture_html(found, pic.alt, sizes, priority=priority, cls=cls)

    @jinja2.pass_context
    def picture_url(ctx: Any, pic: Picture | None, width: int = 1200) -> str:
        """The absolute URL of a picture's fallback variant (for og:image and structured data)."""
        found = rendition(media, ctx["content"], pic)
        return public_url + found.url(width=width) if found else ""

    @jinja2.pass_context
    def logo_url(ctx: Any) -> str:
        content: Content = ctx["content"]
        found = media.renditions(content).get(content.site.logo.src) if content.site.logo else None
        return found.url() if found else assets.url("img/favicon.svg")

    @jinja2.pass_context
    def stylesheet(ctx: Any) -> str:
        return assets.themed("css/site.css", brand_css(ctx["content"].site.brand))

    @jinja2.pass_context
    def title_of(ctx: Any, path: str) -> str | None:
        """A public page's title by its path (staff lists show titles, with the path beside them)."""
        return page_title(ctx["content"], path)

    return {
        "picture": picture,
        "picture_url": picture_url,
        "logo_url": logo_url,
        "stylesheet": stylesheet,
        "page_title": title_of,
    }


def brand_css(brand: Brand) -> str:
    """The brand colours as the CSS variables site.css uses (appended, so they win over its defaults)."""
    return (
        "\n/* Brand colours from content/site.yaml */\n"
        f":root {{ --brand: {brand.primary}; --brand-dark: {brand.dark}; --accent: {brand.accent}; }}\n"
    )
