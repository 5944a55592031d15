"""Media: the pictures the content names, in the sizes and formats each browser wants, made once and kept.

- `images.py`  `ImageLibrary`: the responsive sizes (AVIF where Pillow has it, WebP, and a JPEG or PNG
               fallback) of every content picture, under fingerprinted URLs, encoded once into a cache
               under the data dir and served as immutable files (`/media/...`)

Templates never see a file: they get a `Rendition` (the URLs, widths and the picture's size) and
`public/pictures.py` turns it into a `<picture>` element.
"""

from frontdesk.media.images import ImageLibrary, Rendition

__all__ = ["ImageLibrary", "Rendition"]
