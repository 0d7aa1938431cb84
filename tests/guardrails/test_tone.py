"""Tone check: blaming and sarcastic drafts are flagged; ordinary empathetic support replies are not.

The clean sets are hand-written replies (many of them near misses of a cue), the offline drafts
of the sample tickets, and the agent responses of the public Bitext customer-support dataset.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from replyassist import InvalidInputError, ReplyAssistant, Ticket
from replyassist.guardrails.tone import CODES, LANGUAGES, ToneFinding, check_tone

ROOT = Path(__file__).resolve().parents[2]
BITEXT = (
    ROOT
    / ".."
    / "shared"
    / "data"
    / "bitext_customer_support"
    / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
)

BLAMING_EN = [
    "You should have read the size guide before ordering.",
    "As we already told you, refunds take 5 days.",
    "You failed to enter the right address.",
    "Honestly, it's your fault the parcel went back.",
    "Clearly you didn't follow the setup steps.",
    "Per my last email, the warranty has expired.",
    "Obviously the tent needs to be dried before storing it.",
    "As stated before, we cannot refund opened items.",
    "You need to learn how to use the app.",
    "You didn't bother to check the tracking page.",
    "If you had read the instructions, the stove would not leak.",
    "That’s your own fault, I’m afraid.",  # curly apostrophes
]
SARCASM_EN = [
    "Thanks for your patience lol.",
    "Good luck with that.",
    "Oh great, another password reset.",
    "Wow, ok. I'll look again.",
    "Sure, whatever you think is best.",
    "Congrats on breaking it in one day.",
    "As if we would ship a broken tent.",
    "Nice one, genius.",
    "No offense, but the manual is quite clear.",
    "With all due respect, that is not how returns work.",
    "NO OFFENCE BUT this is the third time.",
]
# Per language: (a blaming draft, a sarcastic draft), written as a native agent would.
NATIVE = {
    "es": ("Como ya le dijimos, el reembolso tarda 5 días.", "Buena suerte con eso."),
    "fr": ("C'est de votre faute si le colis est reparti.", "Sauf votre respect, la notice est claire."),
    "de": ("Wie bereits erwähnt, ist die Garantie abgelaufen.", "Viel Glück damit."),
    "pt": ("A culpa é sua, você não conferiu o endereço.", "Com todo o respeito, isso não funciona assim."),
    "it": (
        "Come le abbiamo già detto, il rimborso richiede 5 giorni.",
        "Con tutto il rispetto, è scritto nel manuale.",
    ),
    "nl": ("Het is uw eigen schuld dat het pakket terugging.", "Veel succes daarmee."),
    "pl": ("To pana wina, że paczka wróciła.", "Z całym szacunkiem, instrukcja jest jasna."),
    "vi": ("Như chúng tôi đã nói nhiều lần, đơn hàng đã được gửi.", "Chúc may mắn với điều đó."),
    "id": (
        "Itu kesalahan Anda sendiri karena alamatnya salah.",
        "Dengan segala hormat, panduannya sudah jelas.",
    ),
    "zh": ("我们早就告诉过你了，退款需要五天。", "呵呵，祝你好运吧。"),
    "ja": ("前にも申し上げた通り、返金には5日かかります。", "お言葉ですが、説明書に書いてあります。"),
    "pt-BR": ("Você deveria ter lido as instruções.", "Sem querer ofender, mas está no manual."),
}
CLEAN = [
    "I'm sorry you've had to chase us about this.",
    "As promised, here is the update on your order.",
    "You can return it within 30 days of delivery.",
    "Good news: it shipped this morning.",
    "Thanks for your patience while we looked into this.",
    "It's not your fault at all, the courier scanned the wrong label.",
    "I don't think it's your fault: the app had a bug that day.",
    "None of this is your fault, and I'm sorry it happened.",
    "You should have the option to download the invoice from your account.",
    "You should have received a confirmation email by now.",
    "Good luck with your trip, and enjoy the new tent!",
    "Congratulations on your new Pinecone Club membership!",
    "It looks as if the parcel was held at customs.",
    "As if the delay wasn't enough, the box arrived damaged — I'm so sorry.",
    "Whatever you decide, we're here to help.",
    "Oh, great question! The stove works with both canisters.",
    "Clearly the courier made a mistake here, and we'll fix it.",
    "I'm afraid I failed to attach the return label, so here it is.",
    "If you failed to receive the code, tap 'Resend'.",
    "You need to log in to see your order history.",
    "As stated in our returns policy, Club members have 60 days.",
    "As I mentioned on the phone, the replacement is on its way.",
    "Please don't worry, we'll sort this out together.",
    "Happy to help with anything else you need.",
    "I understand how frustrating a late delivery is.",
    "We've refunded the duplicate charge; it can take 3-5 business days to appear.",
    "Could you send a photo of the damage so we can start the claim?",
    "Your order 4587 is out for delivery today.",
    "Thanks so much for letting us know, and sorry for the trouble.",
    "We really appreciate you being a Club member.",
    "I've passed this on to our Genius Bar partners for a repair quote.",
    "Sorry about that, it should never have happened.",
    "You're right, and we should have told you sooner.",
    "We'll learn from this and improve our packaging.",
    "The tent is clearly labelled with its pack size on the product page.",
]
CLEAN_NATIVE = {
    "es": "No es culpa suya, el transportista se equivocó. Lo sentimos mucho.",
    "fr": "Ce n'est pas de votre faute, nous sommes désolés pour ce retard.",
    "de": "Das ist nicht Ihre Schuld, und es tut uns leid. Viel Spaß mit dem Zelt!",
    "pt": "Não é culpa sua, pedimos desculpa pelo transtorno.",
    "it": "Non è colpa sua, ci scusiamo per il ritardo.",
    "nl": "Dat is niet uw schuld, excuses voor het ongemak.",
    "pl": "Oczywiście pomożemy, to nie pana wina.",
    "vi": "Đây không phải lỗi của quý khách, chúng tôi xin lỗi.",
    "id": "Ini bukan kesalahan Anda, terserah Anda mau refund atau tukar barang.",
    "zh": "这不是您的错，非常抱歉给您带来不便。",
    "ja": "お客様のせいではありません。ご不便をおかけして申し訳ございません。",
}


def _codes(text: str, language: str = "en") -> set[str]:
    return {f.code for f in check_tone(text, language=language)}


@pytest.mark.parametrize("text", BLAMING_EN)
def test_english_blaming(text: str) -> None:
    assert _codes(text) == {"blaming"}


@pytest.mark.parametrize("text", SARCASM_EN)
def test_english_sarcasm(text: str) -> None:
    assert _codes(text) == {"sarcasm"}


@pytest.mark.parametrize("language", sorted(NATIVE))
def test_native_cues(language: str) -> None:
    blaming, sarcasm = NATIVE[language]
    assert _codes(blaming, language) == {"blaming"}
    assert _codes(sarcasm, language) == {"sarcasm"}


def test_every_language_has_cases() -> None:
    assert set(LANGUAGES) - {"en"} <= {lang.split("-")[0] for lang in NATIVE}


@pytest.mark.parametrize("language", ["es", "fr", "de", "pt", "it", "pl", "vi"])
def test_drafts_typed_without_accents_match(language: str) -> None:
    import unicodedata

    for text in NATIVE[language]:
        plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        plain = plain.replace("ł", "l").replace("đ", "d").replace("Đ", "D")
        assert check_tone(plain, language=language), plain


def test_native_cues_need_their_language() -> None:
    assert check_tone("Buena suerte con eso.", language="es")
    assert not check_tone("Buena suerte con eso.", language="en")


def test_english_cues_apply_to_every_language() -> None:
    assert _codes("Gracias lol. Per my last email, ya está enviado.", "es") == {"blaming", "sarcasm"}


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_support_replies_pass(text: str) -> None:
    assert check_tone(text) == []


@pytest.mark.parametrize("language", sorted(CLEAN_NATIVE))
def test_ordinary_native_replies_pass(language: str) -> None:
    assert check_tone(CLEAN_NATIVE[language], language=language) == []


def test_clean_list_is_large_enough() -> None:
    assert len(CLEAN) >= 30


def test_words_inside_other_words_do_not_match() -> None:
    assert check_tone("Our geniuses at the lab tested the stove.") == []
    assert check_tone("The lolly was a free gift.") == []
    assert check_tone("Es la combinación perfecta de comodidad.", language="es") == []


def test_findings_name_the_sentence_once_per_code() -> None:
    draft = (
        "Hi Maria,\n\nThanks for writing in. As we already told you, it's your fault. "
        "Good luck with that lol.\n\nBest,\nSam"
    )
    findings = check_tone(draft)
    assert [(f.code, f.sentence) for f in findings] == [
        ("blaming", "As we already told you, it's your fault."),
        ("sarcasm", "Good luck with that lol."),
    ]
    assert all(f.code in CODES and f.message for f in findings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        findings[0].code = "sarcasm"  # type: ignore[misc]


def test_a_sentence_can_carry_both_codes() -> None:
    findings = check_tone("With all due respect, you should have read the manual.")
    assert [f.code for f in findings] == ["blaming", "sarcasm"]
    assert isinstance(findings[0], ToneFinding)


def test_spacing_and_case_do_not_hide_a_cue() -> None:
    assert _codes("PER MY   LAST\tEMAIL, it shipped.") == {"blaming"}
    assert _codes("Good\u00a0luck  with that.") == {"sarcasm"}


def test_region_tag_and_case() -> None:
    assert _codes("Buena suerte con eso.", "ES-mx") == {"sarcasm"}


def test_unknown_language_warns_and_uses_english() -> None:
    with pytest.warns(UserWarning, match="no tone cues"):
        assert _codes("Good luck with that.", "xx") == {"sarcasm"}


def test_bad_input() -> None:
    with pytest.raises(InvalidInputError):
        check_tone(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        check_tone("ok", language=3)  # type: ignore[arg-type]
    assert check_tone("") == []
    assert check_tone("   \n\n ") == []


def test_sample_ticket_drafts_pass() -> None:
    assistant = ReplyAssistant(
        str(ROOT / "examples" / "kb"),
        policy={
            "brand": "Pinecone Outfitters",
            "agent_name": "Sam Rivera",
            "brand_handles": ["PineconeHelp"],
        },
    )
    paths = sorted((ROOT / "examples" / "tickets").glob("*.json"))
    assert paths
    written = 0
    for path in paths:
        draft = assistant.draft(Ticket.model_validate_json(path.read_text(encoding="utf-8")))
        written += bool(draft.text)  # skipped tickets (spam, not addressed to us) have no text
        assert check_tone(draft.text, language=draft.language) == [], path.name
    assert written >= len(paths) // 2


@pytest.mark.skipif(not BITEXT.is_file(), reason="Bitext dataset not available")
def test_bitext_agent_responses_rarely_flagged() -> None:
    with BITEXT.open(encoding="utf-8", newline="") as fh:
        responses = [row["response"] for row in csv.DictReader(fh)]
    assert len(responses) > 1000
    flagged = [r for r in responses if check_tone(r)]
    assert len(flagged) <= 0.005 * len(responses), flagged[:5]
