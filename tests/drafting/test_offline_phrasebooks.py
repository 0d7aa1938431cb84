"""The phrase banks: complete, consistent with English, figure-free, overridable, loaded lazily."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from replyassist._errors import ConfigurationError
from replyassist._resources import prompts_dir
from replyassist.drafting.base import ComposeRequest
from replyassist.drafting.offline import SLOTS, OfflineComposer, load_phrasebook
from replyassist.drafting.offline.phrasebook import TONES, available_languages, placeholders, shipped_dir
from replyassist.drafting.offline.plan import has_cue

SHIPPED = available_languages()
EN = tomllib.loads((shipped_dir() / "en.toml").read_text(encoding="utf-8"))


def _keys(table: dict[str, object], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in table.items():
        out |= _keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return out


def test_the_twelve_languages_ship() -> None:
    assert set(SHIPPED) == {"en", "es", "fr", "de", "pt", "it", "nl", "pl", "vi", "zh", "id", "ja"}


@pytest.mark.parametrize("language", SHIPPED)
def test_bank_has_version_one_and_exactly_the_english_keys(language: str) -> None:
    data = tomllib.loads((shipped_dir() / f"{language}.toml").read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert data["language"] == language
    assert _keys(data) - {"name", "language"} == _keys(EN) - {"name", "language"}


@pytest.mark.parametrize("language", SHIPPED)
def test_every_slot_has_three_variants_with_the_english_placeholders(language: str) -> None:
    data = tomllib.loads((shipped_dir() / f"{language}.toml").read_text(encoding="utf-8"))
    for tone in TONES:
        for slot in SLOTS:
            variants = data[tone][slot]
            assert len(variants) >= 3, (language, tone, slot)
            assert len(set(variants)) == len(variants), (language, tone, slot)
            expected = {frozenset(placeholders(v)) for v in EN[tone][slot]}
            assert len(expected) == 1, f"English {tone}.{slot} must use one placeholder set"
            for variant in variants:
                assert frozenset(placeholders(variant)) in expected, (language, tone, slot, variant)
        for table in ("topics", "details", "faults"):
            assert all(value and not placeholders(value) for value in data[tone][table].values())


def test_english_has_four_openers_and_empathy_variants() -> None:
    for tone in TONES:
        for slot in SLOTS:
            if slot.startswith(("opener", "empathy_", "ack_", "listen")):
                assert len(EN[tone][slot]) >= 4, (tone, slot)


@pytest.mark.parametrize("language", SHIPPED)
def test_banks_contain_no_figures(language: str) -> None:
    # Every number in a draft must come from the KB or the customer, never from the composer's words.
    text = (shipped_dir() / f"{language}.toml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("version")]
    assert not [line for line in lines if re.search(r"\d", line)]


@pytest.mark.parametrize("language", SHIPPED)
def test_no_slot_tells_a_customer_to_call_email_or_visit(language: str, composer: OfflineComposer) -> None:
    bank = composer.phrasebook(language)
    english = composer.phrasebook("en")
    assert bank is not None and english is not None
    cues = bank.cues("channel_switch") + english.cues("channel_switch")
    for tone in TONES:
        for slot in SLOTS:
            if slot.startswith("call_"):
                continue  # notes for the agent's phone call, never sent
            for variant in bank.variants(tone, slot):
                assert not has_cue(variant, cues), (language, tone, slot, variant)


@pytest.mark.parametrize("language", SHIPPED)
def test_bank_reads_as_its_language(language: str, composer: OfflineComposer) -> None:
    py3langid = pytest.importorskip("py3langid")
    bank = composer.phrasebook(language)
    assert bank is not None
    for tone in TONES:
        text = " ".join(v for slot in SLOTS for v in bank.variants(tone, slot))
        assert py3langid.classify(text)[0] == language


def test_override_folder_replaces_only_the_keys_it_sets(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text(
        'version = 1\n[friendly]\ngreeting_line = ["Howdy {name},", "Yo {name},", "Hiya {name},"]\n',
        encoding="utf-8",
    )
    book = load_phrasebook("en", tmp_path)
    shipped = load_phrasebook("en")
    assert book is not None and shipped is not None
    assert book.variants("friendly", "greeting_line") == ("Howdy {name},", "Yo {name},", "Hiya {name},")
    assert book.variants("friendly", "closing") == shipped.variants("friendly", "closing")
    assert book.variants("formal", "greeting_line") == shipped.variants("formal", "greeting_line")


def test_composer_uses_its_phrasebook_dir(tmp_path: Path, request_for: Callable[..., ComposeRequest]) -> None:
    (tmp_path / "en.toml").write_text(
        'version = 1\n[friendly]\ngreeting_line = ["Howdy {name},", "Yo {name},", "Hiya {name},"]\n',
        encoding="utf-8",
    )
    text = OfflineComposer(phrasebook_dir=tmp_path).compose(request_for()).text
    assert re.match(r"(Howdy|Yo|Hiya) Maria,\n\n", text)


def test_env_variable_points_at_another_prompts_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request_for: Callable[..., ComposeRequest]
) -> None:
    (tmp_path / "offline").mkdir()
    (tmp_path / "offline" / "en.toml").write_text(
        'version = 1\n[friendly]\nclosing = ["Happy trails,", "See you outside,", "Onward,"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("REPLYASSIST_PROMPTS_DIR", str(tmp_path))
    prompts_dir.cache_clear()
    try:
        text = OfflineComposer().compose(request_for()).text
    finally:
        monkeypatch.delenv("REPLYASSIST_PROMPTS_DIR")
        prompts_dir.cache_clear()
    assert re.search(r"\n\n(Happy trails|See you outside|Onward),\nAna Gomez\n", text)


def test_a_new_language_can_be_added_by_a_complete_bank(
    tmp_path: Path, request_for: Callable[..., ComposeRequest]
) -> None:
    english = (shipped_dir() / "en.toml").read_text(encoding="utf-8")
    (tmp_path / "sv.toml").write_text(english.replace('language = "en"', 'language = "sv"'), encoding="utf-8")
    composer = OfflineComposer(phrasebook_dir=tmp_path)
    assert "sv" in composer.languages
    composition = composer.compose(request_for(language="sv"))
    assert composition.language == "sv" and not composition.warnings


def test_an_incomplete_new_language_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sv.toml").write_text(
        'version = 1\n[friendly]\ngreeting_line = ["Hej {name},"]\n', encoding="utf-8"
    )
    with pytest.raises(ConfigurationError, match=r"sv\.toml.*lacks"):
        load_phrasebook("sv", tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("version = 2\n", "version 2"),
        ("version = 1\n[friendly\n", "not valid TOML"),
        ('version = 1\n[friendly]\nopener = ["Hi {nickname}!"]\n', "unknown placeholder"),
        ('version = 1\n[friendly]\nopener = "Hi!"\n', "non-empty list"),
    ],
)
def test_broken_banks_raise_configuration_errors(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "en.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        load_phrasebook("en", tmp_path)


def test_banks_load_lazily_and_are_cached(tmp_path: Path, request_for: Callable[..., ComposeRequest]) -> None:
    (tmp_path / "es.toml").write_text("version = 7\n", encoding="utf-8")
    composer = OfflineComposer(phrasebook_dir=tmp_path)  # a broken Spanish bank is not read yet
    composer.compose(request_for())
    assert composer.phrasebook("en") is composer.phrasebook("en")
    with pytest.raises(ConfigurationError):
        composer.compose(request_for(language="es"))


def test_phrasebook_dir_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not a folder"):
        OfflineComposer(phrasebook_dir=tmp_path / "missing")
