"""The image pipeline: responsive sizes and formats, fingerprinted names, encoded once, kept across restarts."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from frontdesk.content import load_content
from frontdesk.media import ImageLibrary
from frontdesk.media.images import AVIF, WIDTHS


@pytest.fixture
def content(content_dir):
    return load_content(content_dir)


def test_a_rendition_offers_each_width_in_each_format_without_encoding(content, tmp_path):
    library = ImageLibrary(tmp_path / "media")
    hero = library.renditions(content)["images/hero.png"]
    assert (hero.width, hero.height) == (1600, 900)  # the largest variant: the aspect ratio for width/height
    formats = ["avif", "webp", "jpg"] if AVIF else ["webp", "jpg"]
    assert list(hero.sources) == formats and hero.fallback == "jpg" and hero.modern == tuple(formats[:-1])
    for fmt in formats:
        assert [w for w, _ in hero.sources[fmt]] == list(WIDTHS)
        assert all(url.startswith("/media/hero-") and url.endswith(f"-{w}.{fmt}") for w, url in hero.sources[fmt])
    assert library.encoded == 0 and not (tmp_path / "media").exists()  # nothing encoded just to write the HTML
    portrait = library.renditions(content)["images/team-jordan-ellis.png"]
    assert [w for w, _ in portrait.sources["jpg"]] == [400, 800]  # never wider than the original


def test_warm_encodes_every_variant_once_and_a_restart_encodes_nothing(content, tmp_path):
    first = ImageLibrary(tmp_path / "media")
    wanted = len(first.missing(content))
    assert wanted > 50 and first.warm(content) == wanted == first.encoded
    assert first.missing(content) == []
    again = ImageLibrary(tmp_path / "media")  # a restart: a new process, the same cache folder
    assert again.warm(content) == 0 and again.encoded == 0
    hero = again.renditions(content)["images/hero.png"]
    for fmt, variants in hero.sources.items():
        for width, url in variants:
            with Image.open(tmp_path / "media" / url.removeprefix("/media/")) as im:
                assert im.width == width and im.format == {"avif": "AVIF", "webp": "WEBP", "jpg": "JPEG"}[fmt]


def test_names_change_with_the_bytes(content_dir, tmp_path):
    library = ImageLibrary(tmp_path / "media")
    before = library.renditions(load_content(content_dir))["images/hero.png"].url()
    with Image.open(content_dir / "images/hero.png") as im:
        im.rotate(180).save(content_dir / "images/hero.png")
    after = library.renditions(load_content(content_dir))["images/hero.png"].url()
    assert before != after and before.rsplit("-", 1)[1] == after.rsplit("-", 1)[1]  # same width, new fingerprint


def test_a_transparent_picture_falls_back_to_png(content_dir, tmp_path):
    Image.new("RGBA", (500, 300), (0, 0, 0, 0)).save(content_dir / "images/hero.png")
    found = ImageLibrary(tmp_path / "media").renditions(load_content(content_dir))["images/hero.png"]
    assert found.fallback == "png" and [w for w, _ in found.sources["png"]] == [400, 500]


def test_the_logo_is_served_as_svg(content, tmp_path):
    library = ImageLibrary(tmp_path / "media")
    logo = library.renditions(content)["images/logo.svg"]
    assert logo.fallback == "svg" and (logo.width, logo.height) == (64, 64)
    path = library.file(logo.url().removeprefix("/media/"))
    assert path is not None and path.read_bytes() == (content.root / "images/logo.svg").read_bytes()


def test_served_variants_are_immutable_and_encoded_on_demand(client):
    html = client.get("/").text
    url = re.search(r"/media/hero-[0-9a-f]{12}-400\.webp", html).group(0)
    media = client.app.state.services.media
    (media.cache_dir / url.removeprefix("/media/")).unlink(missing_ok=True)  # not encoded yet
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/webp"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.width == 400
    assert client.get(url, headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    for bad in ["/media/nope-0123456789ab-400.webp", "/media/../secret_key", "/media/x.exe", "/media/hero.png"]:
        assert client.get(bad).status_code == 404, bad
