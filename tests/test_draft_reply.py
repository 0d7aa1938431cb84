"""End to end through the public API: `draft_reply` / `ReplyAssistant` on the sample KB and tickets."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from replyassist import (
    Channel,
    Decision,
    Draft,
    InvalidTicketError,
    KnowledgeBase,
    Passage,
    Policy,
    ReplyAssistant,
    Ticket,
    adraft_reply,
    detect_language,
    draft_reply,
    x_weighted_length,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TICKETS = sorted((EXAMPLES / "tickets").glob("*.json"))
POLICY = Policy(brand="Pinecone Outfitters", agent_name="Sam Rivera", brand_handles=("PineconeHelp",))
# Ways of sending a public social customer off the channel they chose.
OFF_CHANNEL = re.compile(
    r"\b(call us|phone us|email us|e-mail us|give us a call|visit (a|our) store|"
    r"1-?800|0800)\b",
    re.I,
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_directory(EXAMPLES / "kb")


@pytest.fixture(scope="module")
def assistant(kb: KnowledgeBase) -> ReplyAssistant:
    return ReplyAssistant(kb, policy=POLICY)


def _ticket(path: Path) -> Ticket:
    return Ticket.model_validate_json(path.read_text(encoding="utf-8"))


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)?", text))


def test_the_samples_cover_every_channel_and_decision() -> None:
    tickets = [_ticket(p) for p in TICKETS]
    assert {t.channel for t in tickets} == set(Channel)
    assert {t.metadata.get("expected_decision") for t in tickets} == {"reply", "skip", "escalate"}


@pytest.mark.parametrize("path", TICKETS, ids=[p.stem for p in TICKETS])
def test_sample_ticket_gets_a_sensible_draft(
    assistant: ReplyAssistant, kb: KnowledgeBase, path: Path
) -> None:
    ticket = _ticket(path)
    draft = assistant.draft(ticket)
    assert draft.decision.value == ticket.metadata["expected_decision"], (draft.reasons, draft.text)
    assert draft.reasons
    profile = POLICY.profile_for(ticket.channel)
    if draft.decision is Decision.SKIP:
        return
    assert draft.text.strip()
    assert all(profile.fits(part) for part in draft.parts) and len(draft.parts) <= profile.max_parts
    first_name = ticket.customer.first_name
    if first_name and profile.greeting:
        assert first_name in draft.text
    if profile.public:
        assert not OFF_CHANNEL.search(draft.text), draft.text
    # Never invent: every number in the draft is in the conversation or in a cited passage.
    sources = " ".join(m.body for m in ticket.messages) + " " + (ticket.subject or "")
    sources += " ".join(kb.get_article(c.article_id).body for c in draft.citations)  # type: ignore[union-attr]
    invented = _numbers(draft.text) - _numbers(sources) - {str(i) for i in range(1, 4)}  # thread numbering
    assert not invented, (invented, draft.text)
    if draft.decision is Decision.REPLY and draft.citations:
        assert all(c.quote and c.title for c in draft.citations)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Hi, how long do I have to return a tent I bought last week?"),
        ("es", "Hola, ¿cuánto tiempo tengo para devolver una tienda de campaña que compré la semana pasada?"),
        ("fr", "Bonjour, combien de temps ai-je pour retourner une tente achetée la semaine dernière ?"),
        (
            "de",
            "Hallo, wie lange habe ich Zeit, ein Zelt zurückzuschicken, das ich letzte Woche gekauft habe?",
        ),
        ("pt", "Olá, quanto tempo tenho para devolver uma barraca que comprei na semana passada?"),
        ("it", "Ciao, quanto tempo ho per restituire una tenda che ho comprato la settimana scorsa?"),
        ("nl", "Hallo, hoe lang heb ik om een tent terug te sturen die ik vorige week heb gekocht?"),
        ("pl", "Dzień dobry, ile mam czasu na zwrot namiotu, który kupiłem w zeszłym tygodniu?"),
        ("vi", "Xin chào, tôi có bao lâu để trả lại chiếc lều tôi đã mua tuần trước?"),
        ("zh", "你好，我上周买的帐篷可以在多长时间内退货？"),
        ("id", "Halo, berapa lama waktu saya untuk mengembalikan tenda yang saya beli minggu lalu?"),
        ("ja", "こんにちは、先週買ったテントは何日以内なら返品できますか？"),
    ],
)
def test_reply_is_in_the_customers_language(
    assistant: ReplyAssistant, kb: KnowledgeBase, language: str, message: str
) -> None:
    draft = assistant.draft(Ticket.from_text(message, channel="email", customer="Alex Kim"))
    assert draft.signals.language == language
    assert draft.language == language
    assert draft.decision is Decision.REPLY, draft.reasons
    # The return window is in the returns and refunds articles (and their translations).
    assert any(c.article_id.startswith(("return", "refund")) for c in draft.citations), draft.citations
    cited_locales = {(kb.get_article(c.article_id) or c).locale for c in draft.citations}  # type: ignore[union-attr]
    if cited_locales - {language}:
        # The offline composer cannot translate: it quotes the article as written, says so in the
        # customer's language, and tells the agent.
        assert any(w.code == "kb_language_mismatch" for w in draft.warnings)
        greeting = draft.text.split("\n")[0]
        assert (
            detect_language(greeting + " " + draft.text.split("\n\n")[1])[0] == language or language == "en"
        )
    else:
        assert detect_language(draft.text)[0] == language, draft.text


def test_public_tweet_needing_order_details_moves_to_dm(assistant: ReplyAssistant) -> None:
    draft = assistant.draft(
        Ticket.from_text(
            "@PineconeHelp my order still hasn't arrived and it's been 2 weeks. Where is it?",
            channel="twitter",
            customer={"handle": "@trailrunner88"},
        )
    )  # type: ignore[arg-type]
    assert draft.decision is Decision.REPLY
    assert draft.move_to_private
    assert all(x_weighted_length(p) <= 280 for p in draft.parts)


def test_legal_threat_and_safety_escalate(assistant: ReplyAssistant) -> None:
    legal = assistant.draft(
        Ticket.from_text(
            "This is the third time you've charged me. My lawyer will be in touch and I'm taking you to small "
            "claims court.",
            channel="email",
            customer="Dana Fox",
        )
    )
    assert legal.decision is Decision.ESCALATE and "legal_threat" in legal.signals.risks
    assert legal.text  # a holding reply, not silence
    fire = assistant.draft(
        Ticket.from_text(
            "My camping stove burst into flames and burned my hand!!", channel="chat", customer="Lee"
        )
    )
    assert fire.decision is Decision.ESCALATE and "safety" in fire.signals.risks


def test_a_question_the_kb_cannot_answer_is_escalated_not_invented(assistant: ReplyAssistant) -> None:
    draft = assistant.draft(
        Ticket.from_text(
            "Do you sponsor university climbing clubs' competitions?", channel="email", customer="Noor"
        )
    )
    assert draft.decision is Decision.ESCALATE
    assert draft.citations == []


def test_thanks_only_is_skipped_with_a_short_closing_reply_in_chat(assistant: ReplyAssistant) -> None:
    draft = assistant.draft(
        Ticket.from_text("Thank you so much, that sorted it! 🙏", channel="chat", customer="Maria")
    )
    assert draft.decision is Decision.SKIP
    assert 0 < len(draft.text) < 200


def test_a_mention_not_addressed_to_the_brand_is_skipped_silently(assistant: ReplyAssistant) -> None:
    draft = assistant.draft(
        Ticket.from_text(
            "@jenny_hikes lol my @PineconeHelp tent survived the storm better than we did",
            channel="twitter",
            customer={"handle": "@sam_outdoors"},
        )
    )  # type: ignore[arg-type]
    assert draft.decision is Decision.SKIP
    assert draft.text == ""


def test_without_a_kb_facts_are_not_answered() -> None:
    draft = draft_reply("How long do refunds take to reach my card?")
    assert draft.decision is Decision.ESCALATE
    assert any(w.code == "no_knowledge_base" for w in draft.warnings)


def test_async_and_sync_give_the_same_draft(kb: KnowledgeBase) -> None:
    ticket = Ticket.from_text(
        "Can I change the delivery address of my order?", channel="chat", customer="Ana", id="T-1"
    )
    sync = draft_reply(ticket, kb=kb, policy=POLICY)
    async_ = asyncio.run(adraft_reply(ticket, kb=kb, policy=POLICY))
    assert (sync.decision, sync.text, sync.citations) == (async_.decision, async_.text, async_.citations)


def test_draft_runs_inside_a_running_event_loop(assistant: ReplyAssistant) -> None:
    async def call_sync_api() -> Draft:
        return assistant.draft("Where can I see my order's tracking number?")

    assert asyncio.run(call_sync_api()).text


def test_kb_given_as_a_folder_path_and_as_a_saved_index(tmp_path: Path, kb: KnowledgeBase) -> None:
    kb.save(tmp_path / "index")
    message = "How do I reset my password?"
    from_folder = draft_reply(message, kb=EXAMPLES / "kb")
    from_index = draft_reply(message, kb=tmp_path / "index")
    assert from_folder.citations and from_folder.citations == from_index.citations


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"messages": []},
        {"messages": [{"author": "customer", "text": "   "}]},
        {"messages": [{"author": "agent", "text": "Hello?"}]},
        "",
    ],
)
def test_empty_tickets_give_a_clear_error(assistant: ReplyAssistant, bad: object) -> None:
    with pytest.raises(InvalidTicketError, match="no customer message"):
        assistant.draft(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad", ['{"messages": [', {"messages": "nope"}, {"channel": 3, "messages": [{"author": 7}]}, 42]
)
def test_malformed_tickets_give_a_clear_error(assistant: ReplyAssistant, bad: object) -> None:
    with pytest.raises(InvalidTicketError):
        assistant.draft(bad)  # type: ignore[arg-type]


def test_a_megabyte_of_html_is_drafted_with_a_warning(assistant: ReplyAssistant) -> None:
    html = (
        "<html><body><p>My tent pole snapped on the first night, can I get it repaired?</p>"
        + ("<div><span>quoted footer &amp; legal text</span></div>" * 20_000)
        + "</body></html>"
    )
    assert len(html) > 1_000_000
    draft = assistant.draft(
        {"channel": "email", "customer": "Kai", "messages": [{"author": "customer", "html": html}]}
    )
    assert draft.decision is not Decision.SKIP
    assert any(w.code == "message_truncated" for w in draft.warnings)


def test_emoji_and_right_to_left_text(assistant: ReplyAssistant) -> None:
    draft = assistant.draft(
        Ticket.from_text("مرحبا، طلبي لم يصل بعد 😡😡 order #A5521", channel="whatsapp", customer="Omar")
    )
    assert draft.text
    assert draft.signals.language == "ar"
    assert any(w.code == "language_unsupported" for w in draft.warnings)


def test_unknown_channel_is_drafted_safely_with_a_warning(assistant: ReplyAssistant) -> None:
    draft = assistant.draft(
        {
            "channel": "carrier-pigeon",
            "customer": "Ada",
            "messages": [{"text": "How do I reset my password?"}],
        }
    )
    assert draft.channel is Channel.UNKNOWN
    assert any(w.code == "unknown_channel" and "carrier-pigeon" in w.message for w in draft.warnings)
    assert draft.text


def test_email_quoted_history_does_not_steer_the_draft(assistant: ReplyAssistant) -> None:
    body = (
        "Thanks, but the refund still hasn't arrived on my card.\n\n"
        "On Mon, 3 Nov 2026 at 10:02, Pinecone Support <help@pinecone-outfitters.example> wrote:\n"
        "> Thank you so much! We're glad we could help. Enjoy your trip!\n> Sam"
    )
    draft = assistant.draft({"channel": "email", "customer": "Ines", "messages": [{"text": body}]})
    assert not draft.signals.thanks_only
    assert draft.decision is not Decision.SKIP


def test_draft_serialises_to_json(assistant: ReplyAssistant) -> None:
    draft = assistant.draft("Can I pick up my order in store?")
    data = json.loads(draft.model_dump_json())
    assert data["decision"] in {"reply", "skip", "escalate"}
    assert Draft.model_validate(data) == draft


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        (
            "web_form",
            "Bonjour, si je commande ce week-end, est-ce que je serai livrée à temps à Lyon ? "
            "Et la livraison est gratuite à partir de combien ?",
        ),
        (
            "facebook_post",
            "J'ai renvoyé mon sac de couchage il y a deux semaines et toujours pas de remboursement.",
        ),
        ("chat", "Hoi, wat kost verzending naar Nederland en hoe lang duurt het?"),
    ],
)
def test_citations_name_every_passage_the_draft_quotes(
    assistant: ReplyAssistant, kb: KnowledgeBase, channel: str, message: str
) -> None:
    from replyassist.guardrails.grounding import check_grounding, split_units

    ticket = Ticket.model_validate(
        {"channel": channel, "customer": {"first_name": "Camille"}, "messages": [{"text": message}]}
    )
    draft = assistant.draft(ticket)
    assert draft.decision is Decision.REPLY and draft.citations, draft.reasons
    cited_ids = [c.passage_id for c in draft.citations]
    assert len(cited_ids) == len(set(cited_ids))
    articles = list(dict.fromkeys(c.article_id for c in draft.citations))
    assert len(articles) <= POLICY.max_citations
    by_id = {p.id: p for p in kb.passages}
    shown = [by_id[i] for i in cited_ids]
    whole = [p for p in kb.passages if p.article_id in articles]

    def unsupported(sentence: str, passages: list[Passage]) -> bool:
        found = check_grounding(sentence, passages=passages, conversation=[message], language=draft.language)
        return any(f.code == "unsupported_claim" for f in found.findings)

    # What the cited articles back, the very passages the citations show back too.
    missed = [s for s in split_units(draft.text) if unsupported(s, shown) and not unsupported(s, whole)]
    assert not missed, (missed, cited_ids)


def test_french_thanks_on_instagram_is_skipped(assistant: ReplyAssistant) -> None:
    ticket = Ticket.model_validate(
        {
            "channel": "instagram_comment",
            "customer": {"name": "Julie Petit", "handle": "@juliep"},
            "messages": [{"text": "@PineconeHelp merci beaucoup, problème réglé ! 😊"}],
        }
    )
    draft = assistant.draft(ticket)
    assert draft.decision is Decision.SKIP, draft.reasons


def test_a_spanish_customer_still_waiting_for_an_order_gets_the_tracking_answer(
    assistant: ReplyAssistant,
) -> None:
    ticket = Ticket.model_validate(
        {
            "channel": "instagram_comment",
            "customer": {"name": "Sofía Ruiz", "handle": "@sofiar"},
            "messages": [
                {"text": "@PineconeHelp llevo dos semanas esperando mi pedido y nadie me dice nada 😡"}
            ],
        }
    )
    draft = assistant.draft(ticket)
    assert draft.decision is Decision.REPLY, draft.reasons
    assert {c.article_id for c in draft.citations} & {"order-tracking-es", "delayed-or-lost-parcel"}


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        (
            "twitter",
            "@PineconeHelp hola, ¿cuántos días tengo para devolver unas botas que no me quedan bien?",
        ),
        (
            "email",
            "Ich habe eine Regenjacke in Größe L bestellt und eine in Größe S bekommen. Das ist ärgerlich, "
            "ich brauche sie nächste Woche.",
        ),
    ],
)
def test_an_english_article_answers_when_the_passages_in_the_customers_language_do_not(
    assistant: ReplyAssistant, channel: str, message: str
) -> None:
    # A passage in the customer's language that answers nothing used to pull the passages that do
    # below the coverage bar together: the ticket was escalated although the KB answers it.
    ticket = Ticket.model_validate({"channel": channel, "messages": [{"text": message}]})
    draft = assistant.draft(ticket)
    assert draft.decision is Decision.REPLY, draft.reasons
    assert {c.article_id for c in draft.citations} & {"returns", "exchanges", "returns-es", "returns-de"}
    # a quoted article title ("Out of stock? Back-in-stock alerts") is not cut into a stray fragment
    fragment, title = 'Back-in-stock alerts"', '"Out of stock? Back-in-stock alerts"'
    assert fragment not in draft.text or title in draft.text, draft.text
