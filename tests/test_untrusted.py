"""Third-party text loses the characters that hide or reorder it, and keeps everything else."""

from __future__ import annotations

import pytest

from linkedapi_mcp.untrusted import clean_text, clean_tree


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("Hello\u200bWorld", "HelloWorld"),  # zero-width space
        ("admin\u202eknil.exe", "adminknil.exe"),  # right-to-left override
        ("\u2066ignore\u2069 me", "ignore me"),  # bidi isolates
        ("a\u200eb\u200fc\u061cd", "abcd"),  # direction marks
        ("soft\u00adhyphen\ufeff", "softhyphen"),
        ("tag\U000e0041\U000e0042smuggle", "tagsmuggle"),  # invisible ASCII tags
        ("vs\U000e0100x", "vsx"),  # supplementary variation selector
        ("bell\x07 and \x1b[31mred", "bell and [31mred"),
        ("line\u2028break", "line\nbreak"),
        ("zwj\u200dbetween letters", "zwjbetween letters"),
    ],
)
def test_hiding_characters_are_removed(dirty: str, clean: str) -> None:
    assert clean_text(dirty) == clean


@pytest.mark.parametrize(
    "text",
    [
        "Ana Lima 👋 — São Paulo",
        "👩\u200d💻 engineer, ❤\ufe0f data",  # emoji ZWJ sequence and variation selector
        "👨\u200d👩\u200d👧 family",
        "Zoë Ødegård, Łódź",
        "محمد رضایی",
        "می\u200cخواهم",  # Persian needs the zero-width non-joiner
        "東京 · 서울 · Москва · नमस्ते · שלום",
        "tab\tand\nnewline",
    ],
)
def test_ordinary_text_emoji_and_scripts_are_kept(text: str) -> None:
    assert clean_text(text) == text


def test_a_whole_result_tree_is_cleaned_but_not_otherwise_changed() -> None:
    tree = {"name": "Eve\u202e", "posts": [{"text": "hi\u200b", "count": 3, "ok": True, "none": None}]}
    assert clean_tree(tree) == {"name": "Eve", "posts": [{"text": "hi", "count": 3, "ok": True, "none": None}]}
