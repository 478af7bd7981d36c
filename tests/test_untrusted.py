"""Third-party text loses the characters that hide or reorder it, and keeps everything else."""

from __future__ import annotations

import json

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


_HIDING = ("\u200b", "\u202c", "\u202e", "\u2066", "\u2069", "\u200e", "\u200f", "\ufeff")


@pytest.mark.anyio
async def test_text_from_linkedin_reaches_callers_cleaned_and_as_data() -> None:
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.client import LinkedApiClient
    from linkedapi_mcp.facade import LinkedApi
    from linkedapi_mcp.sandbox import Sandbox

    sandbox = Sandbox(seed=42, speed=0)
    special = sandbox.world.samples()["special"]

    async def advance(seconds: float) -> None:
        sandbox.advance(seconds)

    async with LinkedApiClient(
        linked_api_token="linked_test_token",
        identification_token="ident_test_token",
        base_url=sandbox.base_url,
        transport=sandbox.transport(),
    ) as client:
        api = LinkedApi(client)
        op = CATALOG["fetch_person"]
        for url in (special["bidiPerson"], special["injectionPerson"]):
            result = await api.run(op, op.parse({"personUrl": url, "retrievePosts": True}), sleep=advance)
            dumped = json.dumps(result.model_dump(), ensure_ascii=False)
            assert not any(ch in dumped for ch in _HIDING)
            assert result.data is not None
            assert result.data.name
    # The raw world really does carry hiding characters: the cleaning above is not vacuous.
    raw = json.dumps(
        sandbox.world.execute(
            {"actionType": "st.openPersonPage", "basicInfo": True, "personUrl": special["bidiPerson"]},
            sandbox.clock.now(),
        ),
        ensure_ascii=False,
    )
    assert any(ch in raw for ch in _HIDING)


# -- where a joiner stays and where it goes (each case kills a mutant of the sanitiser) -------------

ZWJ, ZWNJ = "\u200d", "\u200c"


@pytest.mark.parametrize(
    "symbol",
    [
        "\u00a9",  # © (a symbol outside the emoji blocks: category So)
        "\u266f",  # ♯ inside U+2600–U+27BF, though not category So
        "\u2768",  # ❨ inside U+2600–U+27BF
        "\u2b30",  # ⬰ inside U+2B00–U+2BFF
        "\U0001faff",  # the last code point of the emoji blocks
        "\ufe0f",  # emoji presentation selector
        "\u20e3",  # combining keycap
    ],
)
def test_an_emoji_sequence_joined_to_any_pictograph_keeps_its_joiner(symbol: str) -> None:
    assert clean_text(f"{symbol}{ZWJ}👩") == f"{symbol}{ZWJ}👩"


@pytest.mark.parametrize(
    "text",
    [
        f"\u27c0{ZWJ}👩",  # ⟀ just past U+27BF: a math sign, not a pictograph
        f"\u2c00{ZWJ}👩",  # Ⰰ just past U+2BFF: a letter
        f"\ufe10{ZWJ}👩",  # just past U+FE0F
        f"\u20e4{ZWJ}👩",  # just past U+20E3
        f"a{ZWJ}💻",  # a letter on one side only
        f"💻{ZWJ}a",
        f"{ZWJ}💻",  # at either end of the text
        f"💻{ZWJ}",
    ],
)
def test_a_joiner_that_does_not_join_two_pictographs_is_removed(text: str) -> None:
    assert clean_text(text) == text.replace(ZWJ, "")


def test_an_emoji_sequence_at_the_very_end_of_a_text_keeps_its_joiner() -> None:
    assert clean_text(f"dev 👩{ZWJ}💻") == f"dev 👩{ZWJ}💻"


@pytest.mark.parametrize(
    "text",
    [
        f"क्{ZWNJ}ष",  # after a virama (a non-spacing mark, Mn)
        f"का{ZWNJ}ष",  # after a vowel sign (a spacing mark, Mc)
    ],
)
def test_a_non_joiner_between_marks_and_letters_of_a_script_is_kept(text: str) -> None:
    assert clean_text(text) == text


@pytest.mark.parametrize("text", [f"a{ZWNJ}b", f"a{ZWNJ}ب", f"€{ZWNJ}ب", f"{ZWNJ}ب", f"ب{ZWNJ}", f"ab{ZWNJ}cd"])
def test_a_non_joiner_beside_ascii_a_symbol_or_an_end_is_removed(text: str) -> None:
    assert clean_text(text) == text.replace(ZWNJ, "")


def test_a_paragraph_separator_becomes_a_newline() -> None:
    assert clean_text("para\u2029graph") == "para\ngraph"


def test_keys_of_a_result_tree_are_cleaned_too_and_non_text_keys_are_kept() -> None:
    assert clean_tree({"na\u200bme": {1: "x\u202e"}}) == {"name": {1: "x"}}
