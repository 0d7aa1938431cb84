"""Detectors for private data: regular expressions plus the checksums that keep them honest.

Each detector yields ``(start, end)`` spans of the *value* only (a password cue such as
"my password is" stays in the text; only what follows is masked). Checksums (Luhn, IBAN
mod 97, the DNI/NIE letter, the CPF digits) are what separate a card or IBAN from an order
or tracking number, so a pattern match alone is never enough for those kinds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

Detector = Callable[[str], Iterator[tuple[int, int]]]

# --- checksums -------------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """Whether a digit string passes the Luhn check used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# Issuer prefixes by length: a Luhn-valid 15-digit order number starting with 1 or 4 is not a card
# (15 digits is Amex only). This removes most of the accidental matches on long order numbers.
_CARD_PREFIX = {
    13: re.compile(r"4"),
    14: re.compile(r"3[068]"),
    15: re.compile(r"3[47]"),
    16: re.compile(r"4|5[1-5]|2[2-7]|6(?:011|22|4[4-9]|5)|35|62"),
}
_CARD_PREFIX_LONG = re.compile(r"4|5[0-9]|6")


def card_ok(digits: str) -> bool:
    """Whether ``digits`` looks like a payment card number: length, issuer prefix and Luhn."""
    if not 13 <= len(digits) <= 19:
        return False
    prefix = _CARD_PREFIX.get(len(digits), _CARD_PREFIX_LONG)
    return prefix.match(digits) is not None and luhn_ok(digits)


def iban_ok(compact: str) -> bool:
    """Whether an upper-case IBAN without spaces passes the ISO 13616 mod-97 check."""
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni_ok(value: str) -> bool:
    """Whether a Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter) has the right letter."""
    compact = value.replace("-", "").replace(" ", "").upper()
    if compact[0] in "XYZ":
        compact = str("XYZ".index(compact[0])) + compact[1:]
    return compact[:-1].isdigit() and _DNI_LETTERS[int(compact[:-1]) % 23] == compact[-1]


def cpf_ok(value: str) -> bool:
    """Whether a Brazilian CPF (11 digits) has valid check digits."""
    d = [int(c) for c in value if c.isdigit()]
    if len(d) != 11 or len(set(d)) == 1:
        return False
    for n in (9, 10):
        s = sum(d[i] * (n + 1 - i) for i in range(n)) * 10 % 11 % 10
        if s != d[n]:
            return False
    return True


# --- helpers ---------------------------------------------------------------------------------


def _spans(pattern: re.Pattern[str], group: int = 0, check: Callable[[str], bool] | None = None) -> Detector:
    def detect(text: str) -> Iterator[tuple[int, int]]:
        for m in pattern.finditer(text):
            if check is None or check(m.group(group)):
                yield m.span(group)

    return detect


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


# --- patterns --------------------------------------------------------------------------------

EMAIL = re.compile(r"(?<![\w.+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")

_CARD = re.compile(r"(?<![\w-])(?<!\d[ -])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN = re.compile(r"(?<![\w-])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{1,4}){3,8}(?![\w-])")

# A bank account is only recognisable by its cue; UK sort codes are distinctive on their own.
_ACCOUNT = re.compile(
    r"(?<!\w)(?i:account\s+(?:number|no\.?|#)|acct\.?\s*(?:no\.?|#)?|n[úu]mero\s+de\s+cuenta|cuenta\s+bancaria|"
    r"num[ée]ro\s+de\s+compte|Kontonummer|Konto-?Nr\.?|n[úu]mero\s+da\s+conta|conta\s+banc[áa]ria|"
    r"numero\s+di\s+conto|conto\s+corrente|rekeningnummer|numer\s+(?:konta|rachunku)|"
    r"s[ốo]\s+t[àa]i\s+kho[ảa]n|nomor\s+rekening|no\.?\s+rek\.?|sort\s+code)"
    r"\s*(?:is|es|est|ist|[ée]|è|jest|is|adalah|l[àa])?\s*[:#=]?\s*"
    r"(\d[\d -]{4,34}\d)"
    r"|(?:账号|帐号|账户|銀行口座|口座番号)\s*[:：是は]?\s*(\d[\d -]{4,34}\d)"
)

_PHONE_INTL = re.compile(r"(?<![A-Za-z0-9_+])\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}(?![\w-])")
_PHONE_NANP = re.compile(
    r"(?<![A-Za-z0-9_/-])(?<!\d[ .])(?:1[ .-])?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w/-])(?![ .]\d)"
)
# National formats with a trunk 0 and separators (FR 06 12 34 56 78, DE 030 1234567, UK 020 7946 0321).
_PHONE_NAT = re.compile(
    r"(?<![A-Za-z0-9_/.:,-])(?<!\d[ .])\(?0\d{1,4}\)?(?:[ .-]\d{2,8}){1,4}(?![\w/:-])(?![ .]\d)"
)
# Mobile numbers whose shape is unambiguous without separators (CN 1[3-9]x, UK 07, FR 06/07, ES 6/7 + 8).
_PHONE_MOBILE = re.compile(r"(?<![A-Za-z0-9_/.#-])(?:1[3-9]\d{9}|07\d{9}|0[67]\d{8})(?![\w/-])")
_PHONE_CUE = re.compile(
    r"(?:(?<!\w)(?i:phone|tel\.?|mobile|cell|call\s+me\s+(?:back\s+)?(?:at|on)|whats\s?app|tel[ée]fono|m[óo]vil|"
    r"t[ée]l[ée]phone|portable|Telefon(?:nummer)?|Handy|telefone|telem[óo]vel|celular|telefono|cellulare|"
    r"telefoon(?:nummer)?|mobiel|numer\s+telefonu|telefon|kom[óo]rka|s[ốo]\s+đi[ệe]n\s+tho[ạa]i|sđt|"
    r"nomor\s+(?:hp|telepon)|no\.?\s+hp)|電話番号?|电话|手机|携帯)"
    r"\s*(?:number|n[úu]mero|no\.?|is|es|est|ist|[ée]|è|jest|adalah|l[àa])?\s*[:：#=是は为]?\s*"
    r"(\+?\d[\d ().-]{5,18}\d)"
)

_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])")
_DNI = re.compile(r"(?<![\w-])(?:\d{8}|[XYZxyz]-?\d{7})-?[A-Za-z](?![\w-])")
_CPF = re.compile(r"(?<![\w.-])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\w-])")
_CODICE_FISCALE = re.compile(r"(?<!\w)[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z](?!\w)")
_ID_CUE = re.compile(
    r"(?:\b(?i:SSN|social\s+security(?:\s+number)?|passport(?:\s+number)?|pasaporte|passeport|Reisepass(?:nummer)?|"
    r"Personalausweis(?:nummer)?|Ausweisnummer|BSN|burgerservicenummer|PESEL|NIF|NIE|DNI|CPF|NIR|"
    r"num[ée]ro\s+de\s+s[ée]curit[ée]\s+sociale|codice\s+fiscale|carta\s+d'identit[àa]|NIK|KTP|CCCD|CMND|"
    r"c[ăa]n\s+c[ướu]+c)\b|身份证号?|身分証|マイナンバー)"
    r"\s*(?:number|n[úu]mero|no\.?|nr\.?|is|es|est|ist|[ée]|è|jest|adalah|l[àa])?\s*[:：#=]?\s*"
    r"([A-Z0-9][A-Z0-9 .-]{4,22}[A-Z0-9])(?![\w])"
)

_EN_STREET = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Terrace|Close|"
    r"Crescent|Highway|Hwy|Parkway|Pkwy|Square|Sq|Gardens|Grove|Row|Mews"
)
_ADDRESS = re.compile(
    # en: 221B Baker Street
    rf"(?<!\w)\d{{1,5}}[A-Za-z]?\s+(?:[A-Z][\w'.-]*\s+){{1,3}}(?:{_EN_STREET})\b\.?"
    # fr: 12 rue de la Paix / 5 bis avenue Foch
    r"|(?<!\w)\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|chemin|all[ée]e|impasse|quai|route"
    r"|cours)\s+(?:(?:de|du|des|la|le|l'|d')\s*)*[A-ZÀ-Ý][\w'’-]*(?:\s+[A-ZÀ-Ý][\w'’-]*){0,3}"
    # de / nl compounds: Hauptstraße 5, Kalverstraat 12a, Lindenallee 3
    r"|(?<!\w)[A-ZÄÖÜ][\wäöüß-]*(?:stra(?:ß|ss)e|str\.|weg|gasse|allee|platz|ring|damm|straat|laan|plein|gracht|kade"
    r"|singel|dijk)\s+\d{1,4}\s?[a-zA-Z]?(?!\w)"
    # street word first: es/pt/it/pl/nl/de/id/vi, then a name and a number
    r"|(?<!\w)(?:Calle|C/|Avenida|Avda\.|Av\.|Plaza|Paseo|Carrer|Camino|Rua|Travessa|Praça|Largo|Alameda|Via|Viale"
    r"|Corso|Piazza|Vicolo|Piazzale|ul\.|ulica|Ulica|al\.|Aleja|aleja|os\.|Jl\.|Jalan|đường|Đường|phố|Phố)"
    r"\s+(?:[\wÀ-ÿ'’.-]+\s+){0,4}?[\wÀ-ÿ'’.-]+,?\s+(?:n[.º°]*\s*|No\.?\s*|nr\s*)?\d{1,4}[a-zA-Z]?(?!\w)"
    # vi: số 12 Lê Lợi is covered above; zh/ja: 建国路88号, 神南1-2-3
    r"|[\u4e00-\u9fff]{2,20}(?:路|街|道|巷|大道)\d{1,5}号"
    r"|[\u4e00-\u9fff\u30a0-\u30ff]{2,20}\d{1,4}(?:丁目|-)\d{1,4}(?:番地?|-)\d{1,4}号?"
)

_SECRET_SEP = (
    r"(\s*[:：=]\s*|\s+(?:is|was|es|era|est|[ée]tait|ist|war|[ée]|è|era|is|jest|to|l[àa]|adalah)\s+[:\"'«“]?"
    r"|\s*(?:是|は|为)\s*)"
)
_PASSWORD = re.compile(
    r"(?:(?<!\w)(?i:password|passcode|passwd|pwd|contrase[ñn]a|clave|mot\s+de\s+passe|mdp|Passwort|Kennwort|senha|palavra-passe|"
    r"wachtwoord|has[łl]o|m[ậa]t\s+kh[ẩa]u|kata\s+sandi|sandi)|密码|密碼|パスワード)"
    + _SECRET_SEP
    + r"(?P<value>[^\s\"'»”,;。，、]{3,64})"
)
_OTP = re.compile(
    r"(?:(?<!\w)(?i:(?:one[- ]time|verification|security|login|sms|2fa|auth(?:entication)?)\s+code|OTP|PIN|c[óo]digo"
    r"(?:\s+de\s+(?:verificaci[óo]n|seguran[çc]a|acceso))?|code(?:\s+de\s+v[ée]rification)?|"
    r"(?:Bestätigungs|Sicherheits|Einmal)?code|codice(?:\s+di\s+verifica)?|verificatiecode|kod(?:\s+weryfikacyjny)?|"
    r"m[ãa](?:\s+(?:OTP|x[áa]c\s+nh[ậa]n|x[áa]c\s+th[ựu]c))?|kode(?:\s+verifikasi)?)|验证码|驗證碼|認証コード|確認コード)"
    r"(?:\s*[:：=#]\s*|\s+(?:is|es|est|ist|[ée]|è|jest|l[àa]|adalah)\s+|\s+|\s*(?:是|は|为)\s*)"
    r"(\d{3}[ -]?\d{3}|\d{4,8})(?![\w-])"
)
# Codes that are not secrets: postal, promo, error and product codes.
_NOT_OTP = re.compile(
    r"(?i:zip|postal|post|postcode|promo|promotional|discount|coupon|voucher|gift|error|fehler|error|erreur|"
    r"product|item|area|country|tracking|rabatt|gutschein|descuento|cup[óo]n|postale|sconto|kortingscode|rabatowy)"
    r"[\s-]*$"
    # Bitext-style "purchase with the code 00123842": an order reference, not a secret.
    r"|(?i:order|purchase|pedido|compra|commande|achat|Bestellung|ordine|bestelling|zam[óo]wienie|booking|reservation"
    r"|invoice|reference|ref)\b[\w\s]{0,16}$"
)
# Words that follow "password is" in ordinary complaints and are not the password.
_NOT_SECRET = frozenset(
    [
        "not",
        "no",
        "wrong",
        "incorrect",
        "invalid",
        "expired",
        "correct",
        "right",
        "too",
        "still",
        "the",
        "a",
        "an",
        "my",
        "your",
        "being",
        "now",
        "reset",
        "changed",
        "working",
        "blocked",
        "locked",
        "case",
        "fine",
        "ok",
        "okay",
        "same",
        "different",
        "missing",
        "required",
        "needed",
        "also",
        "very",
        "always",
        "never",
        "no",
        "incorrecta",
        "incorrecto",
        "caducada",
        "bloqueada",
        "correcta",
        "la",
        "el",
        "mi",
        "falsch",
        "abgelaufen",
        "gesperrt",
        "nicht",
        "richtig",
        "mein",
        "meine",
        "incorrect",
        "faux",
        "le",
        "mon",
        "ma",
        "pas",
        "errata",
        "sbagliata",
        "scaduta",
        "la",
        "il",
        "mia",
        "errada",
        "incorreta",
        "expirada",
        "minha",
        "verkeerd",
        "onjuist",
        "verlopen",
        "mijn",
        "niet",
        "het",
        "nieprawidłowe",
        "błędne",
        "moje",
        "nie",
    ]
)


# "order 4587…" or "invoice #…": the number that follows is a reference, whatever its checksum.
_ORDER_CUE = re.compile(
    r"(?i:order|purchase|pedido|compra|commande|Bestellung|Bestellnummer|ordine|bestelling|zam[óo]wienie|invoice|"
    r"factura|facture|Rechnung|fattura|booking|reservation|tracking|ticket|ref(?:erence)?)"
    r"\s*(?:number|no\.?|nr\.?|n[º°]|id|#)?\s*[:#]?\s*$"
)


def _detect_card(text: str) -> Iterator[tuple[int, int]]:
    for m in _CARD.finditer(text):
        if _ORDER_CUE.search(text, max(0, m.start() - 30), m.start()) is not None:
            continue
        # The match may run on into an expiry date or a CVC ("4242 … 4242 12/27"): try shorter group runs.
        groups = list(re.finditer(r"\d+", m.group()))
        for k in range(len(groups), 0, -1):
            digits = "".join(g.group() for g in groups[:k])
            if len(digits) < 13:
                break
            if card_ok(digits):
                yield m.start(), m.start() + groups[k - 1].end()
                break


def _detect_iban(text: str) -> Iterator[tuple[int, int]]:
    for m in _IBAN.finditer(text):
        # The optional spaces let the match swallow following words ("… 7654 32 is my"): back off group by group.
        groups = list(re.finditer(r"\S+", m.group()))
        for k in range(len(groups), 0, -1):
            compact = "".join(g.group() for g in groups[:k]).upper()
            if len(compact) < 15:
                break
            if iban_ok(compact):
                yield m.start(), m.start() + groups[k - 1].end()
                break


def _detect_account(text: str) -> Iterator[tuple[int, int]]:
    for m in _ACCOUNT.finditer(text):
        g = 1 if m.group(1) is not None else 2
        if len(_digits(m.group(g))) >= 6:
            yield m.span(g)


_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")


def _detect_phone(text: str) -> Iterator[tuple[int, int]]:
    for pat in (_PHONE_INTL, _PHONE_NANP, _PHONE_NAT, _PHONE_MOBILE):
        for m in pat.finditer(text):
            if (
                8 <= len(_digits(m.group())) <= 15
                and _DATE.fullmatch(m.group()) is None
                and _ORDER_CUE.search(text, max(0, m.start() - 30), m.start()) is None
            ):
                yield m.span()
    for m in _PHONE_CUE.finditer(text):
        if 7 <= len(_digits(m.group(1))) <= 15:
            yield m.span(1)


def _detect_gov_id(text: str) -> Iterator[tuple[int, int]]:
    yield from _spans(_SSN)(text)
    yield from _spans(_DNI, check=dni_ok)(text)
    yield from _spans(_CPF, check=cpf_ok)(text)
    yield from _spans(_CODICE_FISCALE)(text)
    for m in _ID_CUE.finditer(text):
        value = m.group(1)
        # A cue does not excuse a failed checksum where the id has one (a typo'd DNI is not a DNI).
        if (_DNI.fullmatch(value) and not dni_ok(value)) or (_CPF.fullmatch(value) and not cpf_ok(value)):
            continue
        if sum(c.isdigit() for c in value) >= 4:
            yield m.span(1)


def _detect_password(text: str) -> Iterator[tuple[int, int]]:
    for m in _PASSWORD.finditer(text):
        value = m.group("value").rstrip(".)]")
        if not value or value.lower() in _NOT_SECRET:
            continue
        # Polish "hasło to X" is a cue, English "password to access" is not: demand a non-letter then.
        if m.group(1).strip().lower() == "to" and value.isalpha():
            continue
        start = m.start("value")
        yield start, start + len(value)


def _detect_otp(text: str) -> Iterator[tuple[int, int]]:
    for m in _OTP.finditer(text):
        if _NOT_OTP.search(text, max(0, m.start() - 20), m.start()) is None:
            yield m.span(1)


# Order matters: on overlap the earlier kind wins (a card beats a phone number made of the same digits).
DETECTORS: tuple[tuple[str, Detector], ...] = (
    ("email", _spans(EMAIL)),
    ("iban", _detect_iban),
    ("card", _detect_card),
    ("gov_id", _detect_gov_id),
    ("bank_account", _detect_account),
    ("password", _detect_password),
    ("otp", _detect_otp),
    ("phone", _detect_phone),
    ("address", _spans(_ADDRESS)),
)
