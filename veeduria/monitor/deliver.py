"""Where alerts go besides the in-app inbox: an Atom feed per watchlist (behind its
token), an e-mail digest through a configured SMTP server, and a webhook (JSON POST
signed with HMAC-SHA256). Delivery is marked per alert and channel, so a failed send is
tried again on the next run and a sent one is never sent twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from veeduria.monitor.alerts import alert_dict
from veeduria.monitor.models import Alert, Watchlist
from veeduria.store import Store
from veeduria.store.models import utcnow

ATOM = "http://www.w3.org/2005/Atom"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
MAX_DIGEST = 200  # alerts in one e-mail or webhook call
SIGNATURE_HEADER = "X-Veeduria-Signature"


def base_url() -> str:
    return os.environ.get("VEEDURIA_BASE_URL", DEFAULT_BASE_URL).rstrip("/")


# --- Atom -------------------------------------------------------------------------------------------

def _iso(when: dt.datetime) -> str:
    return when.replace(microsecond=0).isoformat() + "Z"


def atom_feed(session: Session, wl: Watchlist, base: str, limit: int = 100) -> bytes:
    """The watchlist's latest alerts as an Atom 1.0 document."""
    alerts = list(session.scalars(select(Alert).where(Alert.watchlist_id == wl.id)
                                  .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)))
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    sub(feed, "id", f"urn:veeduria:watchlist:{hashlib.sha256(wl.token.encode()).hexdigest()[:24]}")
    sub(feed, "title", f"veeduria: {wl.name}")
    sub(feed, "updated", _iso(alerts[0].created_at if alerts else wl.created_at))
    sub(feed, "link", href=f"{base}/watch/feed/{wl.token}.atom", rel="self")
    sub(feed, "link", href=f"{base}/inbox", rel="alternate")
    author = sub(feed, "author")
    sub(author, "name", "veeduria")
    sub(feed, "generator", "veeduria")
    for a in alerts:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:veeduria:alert:{hashlib.sha256(f'{wl.token}:{a.key}'.encode()).hexdigest()[:32]}")
        sub(entry, "title", a.title)
        sub(entry, "updated", _iso(a.created_at))
        sub(entry, "published", _iso(a.created_at))
        if a.link:
            sub(entry, "link", href=base + a.link, rel="alternate")
        if a.source_url:
            sub(entry, "link", href=a.source_url, rel="via", title=a.source_title or a.source_url)
        sub(entry, "category", term=a.kind)
        sub(entry, "summary", _text_of(a), type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")


def _text_of(a: Alert) -> str:
    lines = []
    if a.reason:
        lines.append(f"Why: {a.reason}")
    if a.quote:
        lines.append(f"“{a.quote}”")
    if a.source_title or a.source_url:
        lines.append("Source: " + " ".join(x for x in (a.source_title, a.source_url) if x))
    return "\n".join(lines)


# --- e-mail -----------------------------------------------------------------------------------------

@dataclass
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "veeduria@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    tls: bool = False  # SMTPS (port 465)
    timeout: float = 30.0

    @classmethod
    def from_env(cls, **given: Any) -> SmtpSettings | None:
        """$VEEDURIA_SMTP_HOST, _PORT, _FROM, _USER, _PASSWORD, _STARTTLS=1, _TLS=1; values
        in `given` (command-line options) win. None when no host is set."""
        env = os.environ
        host = given.get("host") or env.get("VEEDURIA_SMTP_HOST")
        if not host:
            return None
        flag = {"1", "true", "yes", "on"}
        port = given.get("port") or env.get("VEEDURIA_SMTP_PORT") or 25
        try:
            port = int(port)
        except ValueError:
            raise ValueError(f"SMTP port {port!r} is not a number") from None
        return cls(host=host, port=port,
                   sender=given.get("sender") or env.get("VEEDURIA_SMTP_FROM") or "veeduria@localhost",
                   user=given.get("user") or env.get("VEEDURIA_SMTP_USER") or None,
                   password=given.get("password") or env.get("VEEDURIA_SMTP_PASSWORD") or None,
                   starttls=bool(given.get("starttls")) or env.get("VEEDURIA_SMTP_STARTTLS", "").lower() in flag,
                   tls=bool(given.get("tls")) or env.get("VEEDURIA_SMTP_TLS", "").lower() in flag)


def digest_message(wl: Watchlist, alerts: list[Alert], smtp: SmtpSettings, base: str) -> EmailMessage:
    msg = EmailMessage()
    n = len(alerts)
    msg["Subject"] = f"veeduria: {n} new alert{'s' if n != 1 else ''} for {wl.name}"
    msg["From"] = smtp.sender
    msg["To"] = wl.email
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="veeduria")
    parts = [f"{n} new alert{'s' if n != 1 else ''} on the watchlist {wl.name}.", ""]
    for a in alerts:
        parts.append(f"* {a.title}")
        parts.extend(f"  {line}" for line in _text_of(a).splitlines())
        if a.link:
            parts.append(f"  Evidence: {base}{a.link}")
        parts.append("")
    parts.append(f"Inbox: {base}/inbox")
    msg.set_content("\n".join(parts))
    return msg


def _send(smtp: SmtpSettings, msg: EmailMessage) -> None:
    if smtp.tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.starttls and not smtp.tls:
            client.starttls(context=ssl.create_default_context())
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(msg)


@dataclass
class DeliveryResult:
    emails: int = 0
    emailed_alerts: int = 0
    webhooks: int = 0
    webhook_alerts: int = 0
    errors: list[str] = field(default_factory=list)


def _pending(session: Session, wl: Watchlist, column: Any) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.watchlist_id == wl.id, column.is_(None))
                                .order_by(Alert.created_at, Alert.id).limit(MAX_DIGEST)))


def send_digests(store: Store, smtp: SmtpSettings | None, base: str, result: DeliveryResult) -> None:
    if smtp is None:
        return
    with store.reader() as session:
        lists = list(session.scalars(select(Watchlist).where(Watchlist.active.is_(True),
                                                             Watchlist.email.is_not(None))))
        work = [(wl, _pending(session, wl, Alert.emailed_at)) for wl in lists]
    for wl, alerts in work:
        if not alerts:
            continue
        try:
            _send(smtp, digest_message(wl, alerts, smtp, base))
        except (OSError, smtplib.SMTPException) as exc:
            _delivery_error(store, wl.id, f"e-mail to {wl.email}: {exc.__class__.__name__}: {exc}", result)
            continue
        _mark(store, wl.id, [a.id for a in alerts], Alert.emailed_at)
        result.emails += 1
        result.emailed_alerts += len(alerts)


# --- webhook ----------------------------------------------------------------------------------------

def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def webhook_body(wl: Watchlist, alerts: list[Alert], base: str) -> bytes:
    payload = {"watchlist": {"id": wl.id, "name": wl.name}, "sent_at": _iso(utcnow()),
               "alerts": [alert_dict(a, base) for a in alerts]}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


def send_webhooks(store: Store, base: str, result: DeliveryResult, timeout: float = 15.0) -> None:
    with store.reader() as session:
        lists = list(session.scalars(select(Watchlist).where(Watchlist.active.is_(True),
                                                             Watchlist.webhook_url.is_not(None))))
        work = [(wl, _pending(session, wl, Alert.webhook_at)) for wl in lists]
    for wl, alerts in work:
        if not alerts:
            continue
        body = webhook_body(wl, alerts, base)
        headers = {"Content-Type": "application/json", "User-Agent": "veeduria-monitor"}
        if wl.webhook_secret:
            headers[SIGNATURE_HEADER] = sign(wl.webhook_secret, body)
        req = urllib.request.Request(wl.webhook_url or "", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) checked on save
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:
            _delivery_error(store, wl.id, f"webhook {wl.webhook_url}: {exc.__class__.__name__}: {exc}", result)
            continue
        if not 200 <= status < 300:
            _delivery_error(store, wl.id, f"webhook {wl.webhook_url}: HTTP {status}", result)
            continue
        _mark(store, wl.id, [a.id for a in alerts], Alert.webhook_at)
        result.webhooks += 1
        result.webhook_alerts += len(alerts)


def _mark(store: Store, wl_id: int, ids: list[int], column: Any) -> None:
    with store.session() as session:
        session.execute(update(Alert).where(Alert.id.in_(ids)).values({column.key: utcnow()}))
        session.execute(update(Watchlist).where(Watchlist.id == wl_id).values(last_delivery_error=None))


def _delivery_error(store: Store, wl_id: int, message: str, result: DeliveryResult) -> None:
    result.errors.append(message)
    with store.session() as session:
        session.execute(update(Watchlist).where(Watchlist.id == wl_id)
                        .values(last_delivery_error=message[:1000]))


def deliver(store: Store, smtp: SmtpSettings | None = None, base: str | None = None) -> DeliveryResult:
    result = DeliveryResult()
    base = base or base_url()
    send_digests(store, smtp, base, result)
    send_webhooks(store, base, result)
    return result
