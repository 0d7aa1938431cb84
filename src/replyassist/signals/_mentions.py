"""Specifics a customer named — order numbers, amounts, dates, products — in their own words."""

from __future__ import annotations

import re
from functools import cache

__all__ = ["MAX_MENTIONS", "extract_mentions"]

MAX_MENTIONS = 5

_ID_WORDS = (
    r"order|booking|reservation|ticket|case|reference|ref|confirmation|tracking|invoice|receipt|account|acct|"
    r"purchase|transaction|pnr|claim|incident|request|shipment|parcel|package|subscription|contract|policy|membership|serial|"
    r"pedido|reserva|factura|referencia|seguimiento|commande|réservation|dossier|colis|facture|"
    r"bestellung|buchung|rechnung|sendung|sendungsnummer|auftrag|encomenda|fatura|protocolo|rastreio|ordine|"
    r"prenotazione|fattura|spedizione|bestelling|boeking|factuur|zending|zamówienie|zamówienia|rezerwacja|"
    r"faktura|przesyłka|przesyłki|đơn hàng|mã đơn|mã vận đơn|pesanan|resi|nomor pesanan|no pesanan|"
    r"注文番号|订单号|订单|运单号|予約番号|追跡番号"
)
# "order #A12345", "booking ref: XK9P2Q", "pedido nº 12345", "订单号84512"
_KEYWORD_ID_SOURCE = (
    rf"(?<![A-Za-z0-9])(?:{_ID_WORDS})(?:\s+(?:{_ID_WORDS}))?(?:\s*(?:number|num|no\.?|nr\.?|n[º°o]\.?|#|id|code|número|numéro|nummer|numero|numer|"
    r"nomor|号|番号|:|-))*\s*[:#]?\s*(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,}(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# "#A12345" but not hashtags such as "#ios11update": an id has no lower-case letters
_HASH_ID_SOURCE = r"(?<![\w#])#\s?(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,}(?!\w)"
_FLIGHT_SOURCE = (
    r"(?<!\w)(?:flight|flt|vuelo|vol|flug|volo|vlucht|voo|lot|chuyến bay|penerbangan)\s+#?([A-Z]{2}|[A-Z]\d|\d[A-Z])\s?\d{1,4}(?!\w)",
    re.IGNORECASE,
)
_CURRENCY = (
    r"(?:US\$|USD|C\$|A\$|R\$|HK\$|\$|€|£|¥|₹|₩|₽|₫|zł|Rp\.?|EUR|GBP|JPY|CNY|RMB|INR|PLN|IDR|VND|BRL|MXN|CHF)"
)
_AMOUNT = r"\d{1,3}(?:[,.\s]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_MONEY_SOURCE = (
    rf"(?<!\w){_CURRENCY}\s?(?:{_AMOUNT})(?![\d])"
    rf"|(?<![0-9A-Za-z.,])(?:{_AMOUNT})\s?(?:{_CURRENCY}|dollars?|bucks|euros?|pounds?|quid|reais|pesos|złotych|zł|"
    r"đồng|rupiah|円|元|块|yuan|yen|kr|kroner|kronor)(?!\w)",
    re.IGNORECASE,
)
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|"
    r"nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|"
    r"diciembre|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|januar|"
    r"februar|märz|juni|juli|oktober|dezember|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|"
    r"dezembro|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|januari|februari|maart|"
    r"mei|augustus"
)
_DATE_SOURCE = (
    r"(?<![\w/.-])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}\.\d{1,2}\.\d{4})(?![\w/]|\.\d)"
    # "3/12" alone is as often a fraction or a score as a date: only after a word for "on/by"
    r"|\b(?:on|by|since|from|until|till|before|after|el|le|am|il|op|em|dnia|ngày|tanggal) (?P<v>\d{1,2}/\d{1,2})(?![\w/])"
    rf"|(?<!\w)(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?(?!\w)"
    rf"|(?<!\w)\d{{1,2}}(?:st|nd|rd|th|\.)?\s+(?:of\s+|de\s+)?(?:{_MONTHS})(?:\.?,?\s+(?:de\s+)?\d{{4}})?(?!\w)"
    r"|\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日",
    re.IGNORECASE,
)
# "iPhone 7", "Galaxy S9", "Pixel 7 Pro", "SM-T280", "PS5", "iOS 11.0.2"
_PRODUCT_SOURCE = (
    r"(?<![\w@#])(?:[A-Z][a-z]+|i[A-Z][a-z]+|[A-Z]{2,}[a-z]*)\s?(?:[A-Z]{0,3}\d{1,4}(?:\.\d+)*[a-zA-Z]{0,4})"
    r"(?:\s(?:Pro|Plus|Max|Mini|Ultra|Lite|Air|SE|XL|Neo|Edge))?(?![\w])"
    r"|(?<![\w@#-])[A-Z]{1,4}-[A-Z]{0,3}\d{2,6}[A-Z]{0,3}(?![\w-])"
)
# Words that look like "Word 12" but are not products.
_NOT_PRODUCT_SOURCE = (
    r"^(?:Not|Last|Next|First|Than|More|Less|Every|Each|All|Some|Any|Many|Few|Both|Also|Even|Again|Till|Until|"
    r"Up|Down|Out|Off|Am|Pm|Is|Are|Was|Were|Be|Been|Have|Has|Had|It|This|That|These|Those|Like|Than|Per|"
    r"Order|Booking|Ticket|Case|Ref|Flight|Room|Gate|Seat|Step|Page|Day|Days|Week|Weeks|Hour|Hours|Top|Over|"
    r"Under|Since|Only|About|Just|Now|Still|After|Before|Around|Nearly|Almost|Me|My|Your|The|And|Or|For|On|In|At|"
    r"To|Of|By|From|With|Version|Level|Part|Number|No|Nr|Tel|Phone|Call|Option|Line|Platform|Floor|Row|Zone|"
    r"Bus|Route|Train|Terminal|Chapter|Item|Box|Unit|Suite|Apt|Pedido|Commande|Bestellung|Ordine|FRA|LCY)\b"
)
_DIGITS = re.compile(r"\d[\d\s-]{11,}\d")


def _card_like(value: str) -> bool:
    """13 to 19 digits passing the Luhn check: a payment card number, never echoed back."""
    for run in _DIGITS.findall(value):
        digits = [int(c) for c in run if c.isdigit()]
        if 13 <= len(digits) <= 19:
            total = sum(
                d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits))
            )
            if total % 10 == 0:
                return True
    return False


_ANY_DIGIT = re.compile(r"\d")
_URLS_HANDLES = re.compile(r"https?://\S+|www\.\S+|(?<!\S)[^\s@]+@[^\s@]+\.\w+|@\w+")


_Source = str | tuple[str, int]


@cache
def _compiled() -> dict[str, re.Pattern[str]]:
    """The patterns, compiled on first use so that importing the package stays cheap."""
    sources: dict[str, _Source] = {
        "id": _KEYWORD_ID_SOURCE,
        "hash": _HASH_ID_SOURCE,
        "flight": _FLIGHT_SOURCE,
        "money": _MONEY_SOURCE,
        "date": _DATE_SOURCE,
        "product": _PRODUCT_SOURCE,
        "not_product": _NOT_PRODUCT_SOURCE,
    }
    return {k: re.compile(*v) if isinstance(v, tuple) else re.compile(v) for k, v in sources.items()}


def _mask(text: str) -> str:
    """Blank out links, e-mail addresses and handles, keeping offsets."""
    return _URLS_HANDLES.sub(lambda m: " " * len(m.group()), text)


def extract_mentions(text: str, limit: int = MAX_MENTIONS) -> list[str]:
    """Order/booking numbers, amounts, dates and product names, verbatim, in order of appearance.

    Identifiers come first when there are more than ``limit`` specifics. Digit runs that look
    like payment card numbers are left out, so that a reply never repeats them.
    """
    if not text:
        return []
    masked = _mask(text)
    if not _ANY_DIGIT.search(masked):
        return []  # every pattern (ids, flights, amounts, dates, products) needs a digit
    patterns = _compiled()
    spans: list[tuple[int, int, int]] = []  # (priority, start, end)

    def take(priority: int, pattern: re.Pattern[str], check: bool = False) -> None:
        for match in pattern.finditer(masked):
            # a pattern may name the part worth keeping ("on 3/12" → "3/12")
            start, end = match.span("v") if "v" in pattern.groupindex and match.group("v") else match.span()
            value = masked[start:end].strip()
            if not value or any(s < end and start < e for _, s, e in spans):
                continue
            if check and patterns["not_product"].match(value):
                continue
            if _card_like(value):
                continue
            spans.append((priority, start, start + len(masked[start:end].rstrip())))

    take(0, patterns["id"])
    take(0, patterns["flight"])
    take(0, patterns["hash"])
    take(1, patterns["money"])
    take(2, patterns["date"])
    take(3, patterns["product"], check=True)
    chosen = sorted(spans)[:limit]
    seen: set[str] = set()
    out: list[str] = []
    for _, start, end in sorted(chosen, key=lambda s: s[1]):
        value = text[start:end].strip()
        key = value.lower()
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out
