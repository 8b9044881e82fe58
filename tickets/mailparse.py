"""Reading one raw e-mail as the desk needs it (email.md): who wrote, what it answers, the new text without quoted
history and signatures, its HTML made safe, its attachments, and whether it is an automatic message (auto-reply,
bounce, list mail) or flagged as spam. Pure functions: no database, nothing raised for bad mail but `Undecodable`.
"""

import hashlib
import html as html_module
import re
from dataclasses import dataclass, field
from email import policy
from email.errors import (
    MultipartInvariantViolationDefect,
    NoBoundaryInMultipartDefect,
    StartBoundaryNotFoundDefect,
)
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

import nh3

# Message-IDs in a header: <...> tokens.
_MSGID = re.compile(r"<[^<>\s]+>")
_REFERENCE = re.compile(r"\[(T-\d{6,})\]")
# Mail that says which charset it is in sometimes lies: a GB2312 label over GBK or GB18030 characters is the usual
# one, so the Chinese family is read as GB18030 (a superset of both).
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030"}
_STRUCTURAL_DEFECTS = (NoBoundaryInMultipartDefect, StartBoundaryNotFoundDefect, MultipartInvariantViolationDefect)

# Where quoted history starts, in the shapes the common clients write (Outlook, Gmail, Apple Mail, Foxmail, QQ
# Mail, in English and Chinese): the text from the first such line on is history.
_QUOTE_STARTS = [
    re.compile(r"^-{2,}\s*(Original Message|原始邮件|Original)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),  # Outlook's rule above the quoted headers
    re.compile(r"^On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),  # Gmail, Apple Mail (English)
    re.compile(r"^.{0,300}(写道|寫道)\s*[:\uff1a]\s*$"),  # Gmail, Apple Mail (Chinese): "…于2026年…写道\uff1a"
    re.compile(r"^\s*(From|发件人|寄件者)\s*[:\uff1a].*$"),  # Outlook, Foxmail, QQ Mail header blocks
    re.compile(r"^\s*>"),  # plain quoting
]
# Where a signature starts: the standard delimiter and the clients' "sent from" lines.
_SIGNATURE_STARTS = [
    re.compile(r"^--\s?$"),
    re.compile(r"^(Sent from my|Get Outlook for)\b.*$", re.IGNORECASE),
    re.compile(r"^(发自我的|从我的|来自我的).{0,40}$"),
]
# The header block a quoted Outlook/Foxmail message starts with: a line "From:" must be followed by another header
# line to count (a customer may well write "From: my order page…").
_HEADER_LINE = re.compile(r"^\s*(From|Sent|To|Cc|Subject|Date|发件人|发送时间|收件人|抄送|主题|日期)\s*[:\uff1a]", re.I)


class Undecodable(ValueError):
    """The message's MIME structure cannot be read."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes
    inline: bool = False


@dataclass
class ParsedMail:
    message_id: str
    from_address: str
    from_name: str
    recipients: list[str]
    subject: str
    in_reply_to: list[str]
    references: list[str]
    text: str
    new_text: str
    safe_html: str
    attachments: list[Attachment] = field(default_factory=list)
    # Why no ticket may come of it: "auto_reply", "bounce", "list"; empty for a person's mail.
    automatic: str = ""
    # The Message-IDs of our own mail that a bounce reports undelivered.
    bounced_ids: list[str] = field(default_factory=list)
    spam: bool = False

    @property
    def thread_ids(self) -> list[str]:
        return [*self.in_reply_to, *self.references]

    @property
    def ticket_reference(self) -> str:
        match = _REFERENCE.search(self.subject)
        return match.group(1) if match else ""


def message_id_of(raw: bytes) -> str:
    """The Message-ID header, or one made from the content (the same for the same bytes, so a message without one
    is still kept once)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(rb"^message-id:[ \t]*(<[^<>\s]+>)", head, re.IGNORECASE | re.MULTILINE)
    if match:
        return match.group(1).decode("ascii", "replace")[:500]
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id>"


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header in an otherwise readable message: as if it were absent
        return ""
    return str(value).strip() if value is not None else ""


def _ids(value: str) -> list[str]:
    return _MSGID.findall(value)


def decode_part(part: Message) -> str:
    """A text part's content as text, whatever its declared charset says (see _CHARSET_ALIASES)."""
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    if isinstance(payload, str):
        return payload
    declared = (part.get_content_charset() or "utf-8").lower()
    for charset in (_CHARSET_ALIASES.get(declared, declared), "utf-8", "gb18030"):
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


# Block ends that become line breaks in the text of an HTML body (a pattern without backtracking: linear).
_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h[1-6]|blockquote)\s*>", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """A plain-text fallback of an HTML body: block ends as line breaks, tags, scripts and styles out, entities read.
    Ammonia's parser (html5ever) reads hostile HTML in one pass, where regular expressions or the standard library's
    parser can take quadratic time."""
    text = nh3.clean(_BLOCK_END.sub("\n", html), tags=set(), clean_content_tags={"script", "style", "head", "title"})
    text = html_module.unescape(text).replace("\xa0", " ")
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def sanitize_html(html: str) -> str:
    """Customer HTML as safe HTML: Ammonia's defaults (no scripts, no event handlers, no styles), links that open
    nothing on their own; remote images are dropped (they track the reader) and inline ones (cid:) too: they are
    attachments."""
    return nh3.clean(
        html,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_drop_image_sources,
    ).strip()


def _drop_image_sources(tag: str, attribute: str, value: str) -> str | None:
    return None if tag == "img" and attribute in ("src", "srcset") else value


def trim_reply(text: str) -> str:
    """The new text of a reply: everything before the quoted history and the signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    end = len(lines)
    for index, line in enumerate(lines):
        stripped = line.strip().replace("\xa0", " ")
        if any(pattern.match(stripped) for pattern in _SIGNATURE_STARTS):
            end = index
            break
        if any(pattern.match(stripped) for pattern in _QUOTE_STARTS):
            if _HEADER_LINE.match(stripped) and not any(
                _HEADER_LINE.match(following) for following in lines[index + 1 : index + 4]
            ):
                continue
            end = index
            break
    trimmed = "\n".join(lines[:end]).strip()
    # A message that is nothing but quotes (a forward without a word) keeps its whole text.
    return trimmed or text.strip()


def _addresses(message: Message, *names: str) -> list[str]:
    values = [_header(message, name) for name in names]
    return [address.lower() for _name, address in getaddresses([value for value in values if value]) if address]


def _automatic(message: Message) -> str:
    content_type = message.get_content_type()
    report_type = (message.get_param("report-type") or "").lower() if content_type == "multipart/report" else ""
    sender = _header(message, "From").lower()
    if report_type == "delivery-status" or sender.startswith(("mailer-daemon", "postmaster")):
        return "bounce"
    if (_header(message, "Return-Path") == "<>") and "delivery" in _header(message, "Subject").lower():
        return "bounce"
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_reply"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond") or _header(message, "X-Auto-Response"):
        return "auto_reply"
    if _header(message, "X-Auto-Response-Suppress").lower() in {"all", "oof"} and "automatic" in (
        _header(message, "Subject").lower()
    ):
        return "auto_reply"
    if _header(message, "Precedence").lower() in {"bulk", "junk", "list", "auto_reply"}:
        return "list" if _header(message, "Precedence").lower() in {"bulk", "list"} else "auto_reply"
    if _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        return "list"
    return ""


def _bounced_ids(message: Message) -> list[str]:
    """The Message-IDs of the original mail a delivery status notification returns (its message/rfc822 or
    text/rfc822-headers part)."""
    found: list[str] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                found += _ids(_header(inner, "Message-ID"))
        elif content_type == "text/rfc822-headers":
            match = re.search(r"(?im)^message-id:\s*(<[^<>\s]+>)", decode_part(part))
            if match:
                found.append(match.group(1))
    return found


def _is_spam(message: Message) -> bool:
    flag = _header(message, "X-Spam-Flag").lower()
    status = _header(message, "X-Spam-Status").lower()
    return flag == "yes" or status.startswith("yes")


def parse(raw: bytes) -> ParsedMail:
    """Read one raw message. Raises Undecodable when its MIME structure cannot be read."""
    try:
        message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as error:  # the parser is lenient; anything it still raises means unreadable mail
        raise Undecodable(str(error)) from error
    defects = list(message.defects)
    for part in message.walk():
        defects += part.defects
    if any(isinstance(defect, _STRUCTURAL_DEFECTS) for defect in defects):
        raise Undecodable("broken MIME structure")
    from_name, from_address = parseaddr(_header(message, "From"))
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[Attachment] = []
    automatic = _automatic(message)
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            (text_parts if content_type == "text/plain" else html_parts).append(decode_part(part))
            continue
        if content_type in ("message/delivery-status", "text/rfc822-headers"):
            continue
        if part.get_content_maintype() == "message":
            continue
        try:
            content = part.get_payload(decode=True) or b""
        except Exception:
            content = b""
        attachments.append(
            Attachment(
                filename=(filename or f"attachment-{len(attachments) + 1}").replace("/", "_")[-200:],
                content_type=content_type,
                content=content,
                inline=disposition == "inline" or bool(part.get("Content-ID")),
            )
        )
    html = "\n".join(html_parts)
    text = "\n".join(text_parts).strip() or html_to_text(html)
    return ParsedMail(
        message_id=message_id_of(raw),
        from_address=from_address.lower(),
        from_name=from_name,
        recipients=_addresses(message, "To", "Cc", "Delivered-To", "X-Original-To"),
        subject=" ".join(_header(message, "Subject").split())[:500],
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        text=text,
        new_text=trim_reply(text),
        safe_html=sanitize_html(html) if html else "",
        attachments=attachments,
        automatic=automatic,
        bounced_ids=_bounced_ids(message) if automatic == "bounce" else [],
        spam=_is_spam(message),
    )
