"""The image pipeline: each content picture in a few widths and formats, encoded once, served forever.

A content picture (`images/hero.png`) becomes a `Rendition`: the widths to offer (at most `WIDTHS`, never
wider than the original), in AVIF (where this Pillow was built with it), WebP, and a fallback that every
browser reads (JPEG, or PNG when the picture has transparency). The HTML needs only the URLs, the widths
and the picture's size, and those come from the picture's header and its hash, so building a rendition
costs no encoding at all: start-up stays fast however many pictures the content has.

**Names are fingerprints.** A variant's file name carries a hash of the original's bytes and of
`PIPELINE` (the sizes and qualities below), e.g. `hero-3f9a1c2e4b5d-800.avif`. The same bytes always make
the same name, so a variant is encoded once, kept in the cache folder (`FRONTDESK_MEDIA_DIR`, by default
`<data dir>/media`), found again after a restart, and served with `Cache-Control: immutable`. An edited
picture gets new names, so browsers and CDNs never keep an old one.

**When the encoding happens.** `warm()` (run by the app's lifespan in a worker thread) encodes every
variant the content names that the cache does not have yet; a request for a variant that is not encoded
yet encodes it on the spot (a few milliseconds to a quarter of a second). Files are written to a temporary
name and renamed into place, so several processes sharing a cache folder never see half a file.

The logo may be SVG: it is served as it is, under a fingerprinted name too.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, features

from frontdesk.content.models import Content, ImageFile

log = logging.getLogger("frontdesk.media")

PIPELINE = "1:400,800,1200,1600:avif55s7:webp80:jpeg82"  # change it and every variant gets a new name
WIDTHS = (400, 800, 1200, 1600)
AVIF = features.check("avif")
MEDIA_TYPES = {
    "avif": "image/avif",
    "webp": "image/webp",
    "jpg": "image/jpeg",
    "png": "image/png",
    "svg": "image/svg+xml",
}
_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{12}(?:-(\d{1,4}))?\.(avif|webp|jpg|png|svg)$")
_SVG_SIZE = re.compile(rb'viewBox="\s*[-\d.]+[ ,]+[-\d.]+[ ,]+([\d.]+)[ ,]+([\d.]+)\s*"')


@dataclass(frozen=True)
class Rendition:
    """What the HTML needs of one picture: its size, and the URLs of its variants by format and width."""

    src: str  # the content path
    width: int  # of the largest variant: with `height`, the picture's aspect ratio for width/height attributes
    height: int
    sources: dict[str, tuple[tuple[int, str], ...]]  # "avif"/"webp"/"jpg"/"png"/"svg" -> ((width, url), ...)
    fallback: str  # "jpg", "png" or "svg": the format of the <img> itself

    def srcset(self, fmt: str) -> str:
        return ", ".join(f"{url} {w}w" for w, url in self.sources[fmt])

    def url(self, fmt: str | None = None, width: int | None = None) -> str:
        """The URL of one variant: the fallback format, the widest not above `width` (or the widest of all)."""
        variants = self.sources[fmt or self.fallback]
        fitting = [v for v in variants if width is None or v[0] <= width] or [variants[0]]
        return fitting[-1][1]

    @property
    def modern(self) -> tuple[str, ...]:
        """The formats a <picture> offers before its fallback, best first."""
        return tuple(f for f in ("avif", "webp") if f in self.sources)


@dataclass(frozen=True)
class _Job:
    path: Path
    width: int
    fmt: str


def _stem(src: str) -> str:
    stem = Path(src).stem.lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:40] or "image"


def _widths(original: int) -> tuple[int, ...]:
    chosen = [w for w in WIDTHS if w < original]
    chosen.append(min(original, WIDTHS[-1]))
    return tuple(chosen)


class ImageLibrary:
    """Renditions of the content's pictures (by content version), and the cached variant files behind them."""

    def __init__(self, cache_dir: Path, url_prefix: str = "/media/") -> None:
        self.cache_dir = cache_dir
        self.url_prefix = url_prefix
        self._by_version: dict[str, dict[str, Rendition]] = {}
        self._jobs: dict[str, _Job] = {}  # variant file name -> how to make it
        self._sizes: dict[str, tuple[int, int, bool]] = {}  # sha256 -> (width, height, has alpha)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.encoded = 0  # variants this process encoded (tests, logs)

    # -- renditions ----------------------------------------------------------------------------------------

    def renditions(self, content: Content) -> dict[str, Rendition]:
        """Every picture of this content version by its `src`: computed once per version, no encoding."""
        found = self._by_version.get(content.version)
        if found is None:
            found = {src: self._rendition(src, image) for src, image in content.images.items()}
            self._by_version = {content.version: found}  # only the current version's renditions are kept
        return found

    def _size(self, image: ImageFile) -> tuple[int, int, bool]:
        known = self._sizes.get(image.sha256)
        if known is None:
            if image.path.suffix.lower() == ".svg":
                m = _SVG_SIZE.search(image.path.read_bytes()[:4096])
                known = (round(float(m[1])), round(float(m[2])), True) if m else (64, 64, True)
            else:
                with Image.open(image.path) as im:  # reads the header only
                    alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
                    if alpha and im.mode == "RGBA":
                        low = im.getchannel("A").getextrema()[0]  # an opaque RGBA picture is not transparent
                        alpha = isinstance(low, int) and low < 255
                    known = (im.width, im.height, alpha)
            self._sizes[image.sha256] = known
        return known

    def _rendition(self, src: str, image: ImageFile) -> Rendition:
        width, height, alpha = self._size(image)
        digest = hashlib.sha256(f"{PIPELINE}\0{image.sha256}".encode()).hexdigest()[:12]
        base = f"{_stem(src)}-{digest}"
        if image.path.suffix.lower() == ".svg":
            name = f"{base}.svg"
            self._jobs[name] = _Job(image.path, 0, "svg")
            return Rendition(src, width, height, {"svg": ((width, self.url_prefix + name),)}, "svg")
        fallback = "png" if alpha else "jpg"
        formats = (*(("avif",) if AVIF else ()), "webp", fallback)
        sources: dict[str, tuple[tuple[int, str], ...]] = {}
        for fmt in formats:
            variants = []
            for w in _widths(width):
                name = f"{base}-{w}.{fmt}"
                self._jobs[name] = _Job(image.path, w, fmt)
                variants.append((w, self.url_prefix + name))
            sources[fmt] = tuple(variants)
        largest = _widths(width)[-1]
        return Rendition(src, largest, round(height * largest / width), sources, fallback)

    # -- files ---------------------------------------------------------------------------------------------

    @staticmethod
    def valid_name(name: str) -> bool:
        return _NAME.match(name) is not None

    def file(self, name: str) -> Path | None:
        """The variant's file, encoding it first if this content names it and the cache lacks it; else None.

        A name that is cached but no longer named (an older content version) is still served: pages that
        a CDN or a browser cached a little earlier keep their pictures.
        """
        if not self.valid_name(name):
            return None
        path = self.cache_dir / name
        if path.is_file():
            return path
        job = self._jobs.get(name)
        if job is None:
            return None
        with self._lock(name):
            if not path.is_file():
                self._encode(job, path)
        return path

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def _encode(self, job: _Job, target: Path, original: Image.Image | None = None) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                if job.fmt == "svg":
                    out.write(job.path.read_bytes())
                elif original is not None:
                    _encode_to(original, job, out)
                else:
                    with Image.open(job.path) as opened:
                        _encode_to(opened, job, out)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self.encoded += 1

    def missing(self, content: Content) -> list[str]:
        """The variant names this content version uses that the cache does not hold yet."""
        names: list[str] = []
        for rendition in self.renditions(content).values():
            for variants in rendition.sources.values():
                names += [url.removeprefix(self.url_prefix) for _, url in variants]
        return [n for n in names if not (self.cache_dir / n).is_file()]

    def warm(self, content: Content, stop: threading.Event | None = None) -> int:
        """Encode every variant of this content that is not cached yet (stops early when `stop` is set).

        Each original is decoded once for all of its missing variants.
        """
        by_source: dict[Path, list[str]] = {}
        for name in self.missing(content):
            by_source.setdefault(self._jobs[name].path, []).append(name)
        done = 0
        for source, names in by_source.items():
            try:
                with contextlib.ExitStack() as stack:
                    original = None if source.suffix.lower() == ".svg" else stack.enter_context(Image.open(source))
                    for name in names:
                        if stop is not None and stop.is_set():
                            return done
                        path = self.cache_dir / name
                        with self._lock(name):
                            if not path.is_file():
                                self._encode(self._jobs[name], path, original)
                                done += 1
            except (OSError, ValueError) as exc:  # a damaged picture: a request for it answers 404 later
                log.warning("could not encode %s: %s", source.name, exc)
        if done:
            log.info("encoded %d image variants into %s", done, self.cache_dir)
        return done


def _encode_to(original: Image.Image, job: _Job, out: BinaryIO) -> None:
    keep_alpha = job.fmt != "jpg" and original.mode in ("RGBA", "LA", "P", "PA")
    im = original.convert("RGBA" if keep_alpha else "RGB")
    if im.width != job.width:
        im = im.resize((job.width, max(1, round(im.height * job.width / im.width))), Image.Resampling.LANCZOS)
    if job.fmt == "avif":
        im.save(out, "AVIF", quality=55, speed=7)
    elif job.fmt == "webp":
        im.save(out, "WEBP", quality=80, method=4)
    elif job.fmt == "jpg":
        im.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    else:
        im.save(out, "PNG", optimize=True)
