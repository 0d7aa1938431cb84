"""Grounding and promise checks: hand-made cases, and drafts built from the sample KB.

The ``build_*`` helpers make the evaluation set ``benchmarks/bench_grounding.py`` measures too:
supported drafts (passage sentences quoted or lightly condensed, wrapped in a greeting, empathy
and a sign-off in twelve languages) and the same drafts with planted claims (invented refund
windows, prices, dates, discounts, compensation, guarantees; figures altered).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from replyassist.guardrails.grounding import (
    Finding,
    GroundingResult,
    check_back_phrase,
    check_grounding,
    check_promises,
)
from replyassist.knowledge import KnowledgeBase
from replyassist.models import DraftWarning, Passage

ROOT = Path(__file__).resolve().parents[2]
KB_DIR = ROOT / "examples" / "kb"


def _passage(text: str, locale: str = "en", pid: str = "a#0") -> Passage:
    return Passage(id=pid, article_id=pid.split("#")[0], title="Help", text=text, locale=locale)


RETURNS = _passage(
    "You can return most items within 30 days of delivery. Pinecone Club members have 60 days. "
    "Return shipping is free for Club members. Otherwise $6.95 (US) or €5.95 (Europe) is deducted "
    "from your refund. Items delivered between 1 November and 24 December can be returned until 31 January."
)


# -- hand-made cases ------------------------------------------------------------------------------------


def test_supported_sentences_stay() -> None:
    draft = (
        "Hi Maria,\n\nI'm sorry the jacket doesn't fit. You can return most items within thirty days of "
        "delivery, and Club members have 60 days.\n\nBest regards,\nSam"
    )
    result = check_grounding(draft, passages=[RETURNS])
    assert result.text == draft
    assert not result.removed and not result.softened and not result.findings
    assert not result.core_unsupported


def test_altered_figure_is_softened_and_reported() -> None:
    draft = "Hi Maria,\n\nYou can return most items within 45 days of delivery.\n\nBest,\nSam"
    result = check_grounding(draft, passages=[RETURNS])
    assert result.softened == ("You can return most items within 45 days of delivery.",)
    assert check_back_phrase("en") in result.text
    assert "45 days" not in result.text
    assert result.text.startswith("Hi Maria,") and result.text.endswith("Best,\nSam")
    assert [f.code for f in result.findings] == ["unsupported_claim"]
    assert result.core_unsupported
    assert isinstance(result.findings[0].to_warning(), DraftWarning)


def test_second_unsupported_sentence_is_removed_not_softened_twice() -> None:
    draft = "Return shipping is free for Club members. It costs $2.99 otherwise. Delivery is on Friday."
    result = check_grounding(draft, passages=[RETURNS], language="es")
    assert result.softened == ("It costs $2.99 otherwise.",)
    assert result.removed == ("Delivery is on Friday.",)
    assert result.text.count(check_back_phrase("es")) == 1
    assert result.text.startswith("Return shipping is free for Club members.")
    assert not result.core_unsupported  # the first sentence still answers


@pytest.mark.parametrize(
    ("claim", "passage_text"),
    [
        ("The fee is 14,95 €.", "The fee is €14.95 for every order."),
        ("Refunds take 5-10 business days.", "Refunds reach your card in 5–10 business days."),
        ("Orders placed before 1 pm ship the same day.", "Orders placed before 13:00 ship the same day."),
    ],
)
def test_figures_are_normalised(claim: str, passage_text: str) -> None:
    result = check_grounding(claim, passages=[_passage(passage_text)])
    assert not result.findings, result.findings


def test_conversation_supports_what_the_customer_said() -> None:
    draft = "Your order PO-6011842 can be returned within 30 days of delivery."
    result = check_grounding(draft, passages=[RETURNS], conversation=["My order PO-6011842 is too small."])
    assert not result.findings
    alone = check_grounding(draft, passages=[RETURNS])
    assert alone.findings  # the order number is in no passage


def test_allowed_texts_support_brand_facts() -> None:
    draft = "Our team is available Monday to Friday, 9:00-17:00."
    assert check_grounding(draft, passages=[RETURNS]).findings
    assert not check_grounding(draft, passages=[RETURNS], allowed=["Monday to Friday 9:00-17:00"]).findings


def test_greetings_questions_and_sign_offs_are_never_removed() -> None:
    draft = (
        "Hola Lucía,\nSiento mucho las molestias.\n¿Podrías enviarme el número de pedido 12345?\n"
        "Un saludo,\nSam Rivera\nPinecone Outfitters"
    )
    result = check_grounding(draft, passages=[], language="es")
    assert result.text == draft
    assert not result.findings and not result.core_unsupported


@pytest.mark.parametrize(
    ("draft", "language"),
    [
        ("Hi Marco!", "en"),  # Portuguese "março" once its accent is folded away
        ("Ciao Marco! Verifico subito.", "it"),
        ("Hi June, thanks for getting in touch.", "en"),
        ("Hello April,", "en"),
        ("Bonjour Mars,", "fr"),
    ],
)
def test_a_name_that_reads_as_a_month_is_no_date_claim(draft: str, language: str) -> None:
    result = check_grounding(draft, passages=[], language=language)
    assert not result.findings and result.text == draft and not result.core_unsupported


@pytest.mark.parametrize(
    "claim",
    [
        "Items bought in March 2027 ship free.",
        "Orders placed before 15 March ship the same day.",
        "The sale ends on March 3.",
        "Le retour est possible jusqu'au 31 janvier.",
    ],
)
def test_a_month_with_a_day_or_a_year_is_still_a_date_claim(claim: str) -> None:
    assert check_grounding(claim, passages=[RETURNS]).findings
    passage = _passage(claim)
    assert not check_grounding(claim, passages=[passage]).findings


def test_names_given_as_allowed_are_never_claims() -> None:
    # "Domingo" is a first name and the Spanish for Sunday: as a name it states no weekday
    draft = "Domingo, te lo explico enseguida."  # not the phrase banks' wording, which is never a claim
    assert check_grounding(draft, passages=[], language="es").findings
    result = check_grounding(draft, passages=[], language="es", allowed=["Domingo García"])
    assert not result.findings and result.text == draft


def test_cross_language_passage_is_judged_on_figures() -> None:
    draft = "Puedes devolver la mayoría de los artículos en un plazo de 30 días."
    assert not check_grounding(draft, passages=[RETURNS], language="es").findings
    assert check_grounding(draft.replace("30", "90"), passages=[RETURNS], language="es").findings


@pytest.mark.parametrize(
    ("language", "claim"),
    [
        ("fr", "Vous serez remboursé sous 90 jours."),
        ("de", "Die Rücksendung kostet 2,99 €."),
        ("pt", "O reembolso chega em 45 dias."),
        ("it", "Il rimborso arriva entro 45 giorni."),
        ("nl", "De terugbetaling duurt 45 dagen."),
        ("pl", "Zwrot pieniędzy trwa 45 dni."),
        ("vi", "Hoàn tiền trong vòng 45 ngày."),
        ("id", "Pengembalian dana dalam 45 hari."),
        ("zh", "退款将在45天内到账。"),
        ("ja", "返金は45日以内に行われます。"),
    ],
)
def test_invented_figures_in_every_language(language: str, claim: str) -> None:
    result = check_grounding(f"{claim}", passages=[RETURNS], language=language)
    assert result.findings
    assert result.text == check_back_phrase(language)


def test_unsupported_promise_is_flagged_and_removed() -> None:
    passage = _passage("Standard delivery takes 3 to 5 business days.")
    draft = "Standard delivery takes 3 to 5 business days. As a goodwill gesture we'll add store credit."
    findings = check_promises(draft, passages=[passage])
    assert {(f.code, f.kind) for f in findings} == {
        ("unsupported_promise", "compensation"),
        ("unsupported_promise", "credit"),
    }
    result = check_grounding(draft, passages=[passage])
    assert any(f.code == "unsupported_promise" for f in result.findings)
    assert "goodwill" not in result.text


def test_promise_allowed_when_the_passage_names_the_remedy() -> None:
    draft = "We'll refund the item once it arrives."
    assert not check_promises(draft, passages=[RETURNS])
    assert check_promises("We'll give you a 20% discount.", passages=[RETURNS])
    assert not check_promises("We can't offer a discount on this item.", passages=[RETURNS])
    assert not check_promises("Would you like a replacement?", passages=[RETURNS])


def test_result_types() -> None:
    result = check_grounding("", passages=[])
    assert isinstance(result, GroundingResult) and result.text == "" and not result.changed
    assert Finding("unsupported_claim", "m").kind is None
    assert check_back_phrase("xx-YY") == check_back_phrase("en")


# -- the evaluation set built from the sample KB ----------------------------------------------------------

WRAP = {
    "en": ("Hi Alex,", "I'm sorry for the trouble.", "Best regards,\nSam Rivera\nPinecone Outfitters"),
    "es": ("Hola Lucía,", "Siento mucho las molestias.", "Un saludo,\nSam Rivera"),
    "fr": ("Bonjour Camille,", "Je suis désolé pour ce désagrément.", "Cordialement,\nSam Rivera"),
    "de": ("Hallo Katrin,", "Es tut mir leid für die Umstände.", "Viele Grüße\nSam Rivera"),
    "pt": ("Olá Ana,", "Lamentamos o transtorno.", "Atenciosamente,\nSam Rivera"),
    "it": ("Ciao Giulia,", "Mi dispiace per il disagio.", "Cordiali saluti,\nSam Rivera"),
    "nl": ("Hoi Daan,", "Het spijt me van het ongemak.", "Met vriendelijke groet,\nSam Rivera"),
    "pl": ("Dzień dobry,", "Przepraszamy za kłopot.", "Pozdrawiam,\nSam Rivera"),
    "vi": ("Xin chào anh Minh,", "Xin lỗi vì sự bất tiện này.", "Trân trọng,\nSam Rivera"),
    "zh": ("您好，林先生，", "很抱歉给您带来不便。", "祝好，\nSam Rivera"),
    "id": ("Halo Kak Dimas,", "Mohon maaf atas ketidaknyamanannya.", "Salam,\nSam Rivera"),
    "ja": (
        "こんにちは。",
        "ご迷惑をおかけして申し訳ございません。",
        "よろしくお願いいたします。\nSam Rivera",
    ),
}

# Invented claims: {n} is a figure the passage does not hold.
PLANTED = {
    "en": [
        ("refund_window", "You can get a full refund within {n} days."),
        ("price", "Express shipping costs only ${n}.99."),
        ("date", "Your order will arrive on Friday {d} November."),
        ("discount", "We'll give you {n}% off your next order."),
        ("compensation", "As compensation, we'll add a ${n} credit to your account."),
        ("guarantee", "We guarantee delivery within {n} hours."),
        ("replacement", "We'll send you a free replacement and you can keep the original."),
        ("rule", "Personalised items can be exchanged at any time, even after use."),
        ("rule", "Shipping is free on every order worldwide, with no minimum."),
        ("rule", "You don't need the receipt, the tags or the original packaging to send something back."),
        ("rule", "Members can skip the queue and get priority support around the clock."),
    ],
    "es": [
        ("refund_window", "Puedes obtener un reembolso completo en un plazo de {n} días."),
        ("price", "El envío exprés cuesta solo {n},99 €."),
        ("date", "Tu pedido llegará el viernes {d} de noviembre."),
        ("discount", "Te damos un {n}% de descuento en tu próximo pedido."),
        ("compensation", "Como compensación, te abonamos {n} € en tu cuenta."),
        ("rule", "Puedes cambiar cualquier artículo personalizado aunque lo hayas usado."),
    ],
    "fr": [
        ("refund_window", "Vous pouvez être remboursé sous {n} jours."),
        ("price", "La livraison express coûte seulement {n},99 €."),
        ("discount", "Nous vous offrons une réduction de {n} % sur votre prochaine commande."),
        ("guarantee", "Nous vous garantissons une livraison sous {n} heures."),
        ("rule", "Vous pouvez retourner un article personnalisé même après utilisation."),
    ],
    "de": [
        ("refund_window", "Du bekommst die volle Erstattung innerhalb von {n} Tagen."),
        ("price", "Der Expressversand kostet nur {n},99 €."),
        ("compensation", "Als Entschädigung schreiben wir dir {n} € gut."),
        ("date", "Deine Bestellung kommt am Freitag, {d}. November, an."),
        ("rule", "Personalisierte Artikel kannst du auch nach Gebrauch jederzeit umtauschen."),
    ],
    "pt": [
        ("refund_window", "Você recebe o reembolso total em até {n} dias."),
        ("discount", "Damos {n}% de desconto."),
    ],
    "it": [
        ("refund_window", "Riceverai il rimborso entro {n} giorni."),
        ("price", "La spedizione costa {n},99 €."),
    ],
    "nl": [
        ("refund_window", "Je krijgt je geld terug binnen {n} dagen."),
        ("discount", "Je krijgt {n}% korting."),
    ],
    "pl": [
        ("refund_window", "Zwrot pieniędzy otrzymasz w ciągu {n} dni."),
        ("price", "Wysyłka kosztuje {n},99 zł."),
    ],
    "vi": [
        ("refund_window", "Bạn sẽ được hoàn tiền trong vòng {n} ngày."),
        ("discount", "Bạn được giảm giá {n}%."),
    ],
    "zh": [
        ("refund_window", "我们会在{n}天内为您全额退款。"),
        ("compensation", "作为补偿，我们将赠送您{n}元优惠券。"),
    ],
    "id": [
        ("refund_window", "Pengembalian dana penuh dalam {n} hari."),
        ("discount", "Anda mendapat diskon {n}%."),
    ],
    "ja": [
        ("refund_window", "{n}日以内に全額返金いたします。"),
        ("guarantee", "{n}時間以内のお届けを保証します。"),
    ],
}
_FOREIGN = ("pt", "it", "nl", "pl", "vi", "zh", "id", "ja")
_CUT = re.compile(r"\s*\([^)]*\)")
_NUMBER_WORDS = {"30": "thirty", "60": "sixty", "14": "fourteen", "10": "ten", "5": "five", "3": "three"}


@dataclass(frozen=True)
class Case:
    """One draft of the evaluation set."""

    draft: str
    passages: tuple[Passage, ...]
    language: str
    quoted: tuple[str, ...]
    """The sentences taken from the passage (all supported)."""
    planted: str = ""
    """The invented or altered sentence; empty for a clean draft."""
    kind: str = ""


@cache
def kb_passages() -> tuple[Passage, ...]:
    return tuple(KnowledgeBase.from_directory(KB_DIR).passages)


def _quotable(passage: Passage) -> list[str]:
    from replyassist._text import split_sentences

    out = []
    for sentence in split_sentences(passage.text.replace("**", "")):
        sentence = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", sentence).strip()
        if "|" in sentence or not 30 <= len(sentence) <= 260 or not sentence.endswith("."):
            continue
        out.append(sentence)
    return out


def _condense(sentence: str, rng: random.Random) -> str:
    """Light edits a writer makes when quoting: drop an aside, spell a figure, move the currency."""
    choice = rng.randrange(6)
    if choice == 4 and ", " in sentence[:60] and sentence[0].isupper():
        return "Just so you know, " + sentence[0].lower() + sentence[1:]
    if choice == 5 and "; " in sentence:
        return sentence.split("; ")[0].rstrip(",:") + "."
    if choice == 1:
        return _CUT.sub("", sentence)
    if choice == 2:
        return re.sub(r"\b(30|60|14|10|5|3)(?= days| business days)", lambda m: _NUMBER_WORDS[m[1]], sentence)
    if choice == 3:
        return re.sub(r"€(\d+)\.(\d\d)", r"\1,\2 €", sentence)
    return sentence


def _free_figure(passage: Passage, rng: random.Random, *, days: bool = False) -> int:
    held = {int(n) for n in re.findall(r"\d+", passage.text)}
    pool = (6, 9, 12, 17, 19, 21, 23, 27) if days else (7, 9, 11, 17, 19, 21, 23, 27, 45, 75, 90)
    return rng.choice([n for n in pool if n not in held])


def build_cases(seed: int = 7) -> tuple[list[Case], list[Case]]:
    """Clean drafts and planted-claim drafts from every passage of the sample KB."""
    rng = random.Random(seed)
    clean: list[Case] = []
    planted: list[Case] = []
    by_article: dict[str, list[Passage]] = {}
    for p in kb_passages():
        by_article.setdefault(p.article_id, []).append(p)
    for passage in kb_passages():
        siblings = [p for p in by_article[passage.article_id] if p.id != passage.id]
        cited = (passage, *rng.sample(siblings, min(len(siblings), rng.randrange(3))))
        sentences = _quotable(passage)
        if not sentences:
            continue
        local = (passage.locale or "en").split("-")[0]
        languages = [local] if local != "en" else ["en", rng.choice(_FOREIGN)]
        for language in languages:
            hello, sorry, bye = WRAP[language]
            quoted = tuple(_condense(s, rng) for s in rng.sample(sentences, min(3, len(sentences))))
            body = " ".join(quoted)
            draft = f"{hello}\n\n{sorry} {body}\n\n{bye}"
            clean.append(Case(draft, cited, language, quoted))
            templates = PLANTED.get(language, PLANTED["en"])
            kind, template = rng.choice(templates)
            claim = template.format(n=_free_figure(passage, rng), d=_free_figure(passage, rng, days=True))
            planted.append(
                Case(f"{hello}\n\n{sorry} {body} {claim}\n\n{bye}", cited, language, quoted, claim, kind)
            )
            # an altered figure inside a quoted sentence
            for i, sentence in enumerate(quoted):
                figures = re.findall(r"\d+", sentence)
                if figures:
                    old = rng.choice(figures)
                    new = str(int(old) + rng.choice((1, 2, 5, 10)))
                    if new in re.findall(r"\d+", passage.text):
                        continue
                    altered = re.sub(rf"(?<!\d){old}(?!\d)", new, sentence, count=1)
                    text = " ".join([*quoted[:i], altered, *quoted[i + 1 :]])
                    planted.append(
                        Case(
                            f"{hello}\n\n{sorry} {text}\n\n{bye}",
                            cited,
                            language,
                            quoted,
                            altered,
                            "altered",
                        )
                    )
                    break
    return clean, planted


def caught(case: Case, result: GroundingResult) -> bool:
    """The planted sentence (or a piece of it, where the splitter cut it) was removed, softened or flagged."""
    return any(f.sentence in case.planted or case.planted in f.sentence for f in result.findings)


def wrongly_removed(case: Case, result: GroundingResult) -> int:
    return len(result.removed) + len(result.softened)


def test_clean_drafts_keep_their_sentences() -> None:
    clean, _ = build_cases()
    assert len(clean) >= 60
    sentences = sum(len(c.quoted) + 3 for c in clean)
    removed = sum(
        wrongly_removed(c, check_grounding(c.draft, passages=c.passages, language=c.language)) for c in clean
    )
    assert removed / sentences <= 0.05


def test_planted_claims_are_caught() -> None:
    _, planted = build_cases()
    assert len(planted) >= 100
    hits = sum(caught(c, check_grounding(c.draft, passages=c.passages, language=c.language)) for c in planted)
    assert hits / len(planted) >= 0.95


def build_translated_cases(seed: int = 11) -> tuple[list[Case], list[Case]]:
    """Sentences of the Spanish, French and German articles checked against their English twin.

    What a model does when it answers in the customer's language from an English passage: the
    check can then rely only on figures and glossary concepts.
    """
    rng = random.Random(seed)
    by_article: dict[str, list[Passage]] = {}
    for p in kb_passages():
        by_article.setdefault(p.article_id, []).append(p)
    clean: list[Case] = []
    planted: list[Case] = []
    for article, passages in by_article.items():
        twin = re.sub(r"-(es|fr|de)$", "", article)
        if twin == article or twin not in by_article:
            continue
        language = article.rsplit("-", 1)[1]
        hello, _, bye = WRAP[language]
        english = tuple(by_article[twin])
        for passage in passages:
            for sentence in _quotable(passage):
                clean.append(Case(f"{hello}\n\n{sentence}\n\n{bye}", english, language, (sentence,)))
                figures = re.findall(r"\d+", sentence)
                if figures:
                    old = rng.choice(figures)
                    held = {n for p in english for n in re.findall(r"\d+", p.text)}
                    new = next(
                        (str(int(old) + d) for d in (1, 2, 5, 10, 20) if str(int(old) + d) not in held), None
                    )
                    if new is None:
                        continue
                    altered = re.sub(rf"(?<!\d){old}(?!\d)", new, sentence, count=1)
                    planted.append(
                        Case(
                            f"{hello}\n\n{altered}\n\n{bye}",
                            english,
                            language,
                            (sentence,),
                            altered,
                            "altered",
                        )
                    )
    return clean, planted


def test_translated_sentences_against_english_passages() -> None:
    clean, planted = build_translated_cases()
    assert len(clean) >= 40 and len(planted) >= 20
    removed = sum(
        wrongly_removed(c, check_grounding(c.draft, passages=c.passages, language=c.language)) for c in clean
    )
    hits = sum(caught(c, check_grounding(c.draft, passages=c.passages, language=c.language)) for c in planted)
    assert removed / len(clean) <= 0.10
    assert hits / len(planted) >= 0.90
