"""`same_signature`: a plain yes or no for any characters a client sends, never a TypeError."""

from __future__ import annotations

import pytest

from frontdesk.signing import same_signature


def test_equal_signatures_match_and_different_ones_do_not():
    assert same_signature("abc123", "abc123")
    assert not same_signature("abc124", "abc123")
    assert not same_signature("", "abc123")


@pytest.mark.parametrize("given", ["²", "é" * 16, "\x80", "\x00", "\ud800", "𝟙𝟚𝟛"])
def test_non_ascii_and_lone_surrogates_are_a_plain_no(given):
    assert same_signature(given, "abc123") is False
