"""One monitor cycle (poll what is due, check watchlists, deliver alerts) and the loop
that repeats it: `veeduria monitor run` in the foreground, or a thread in `serve`."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from veeduria.monitor.alerts import CheckResult, check
from veeduria.monitor.deliver import DeliveryResult, SmtpSettings, deliver
from veeduria.monitor.poll import Poller, PollOptions, SourceOutcome
from veeduria.store import Store
from veeduria.store.models import utcnow

log = logging.getLogger("veeduria.monitor")
MAX_SLEEP = 60.0  # wake at least this often (new sources, new watchlists)


@dataclass
class CycleResult:
    sources: list[SourceOutcome] = field(default_factory=list)
    alerts: CheckResult = field(default_factory=CheckResult)
    delivery: DeliveryResult = field(default_factory=DeliveryResult)


def cycle(store: Store, *, options: PollOptions | None = None, smtp: SmtpSettings | None = None,
          base: str | None = None, now: dt.datetime | None = None, force: bool = False,
          poller: Poller | None = None) -> CycleResult:
    poller = poller or Poller(store, options)
    out = CycleResult()
    out.sources = poller.run(now=now, force=force)
    out.alerts = check(store)
    out.delivery = deliver(store, smtp, base)
    return out


def loop(store: Store, stop: threading.Event, *, options: PollOptions | None = None,
         smtp: SmtpSettings | None = None, base: str | None = None,
         report: Callable[[CycleResult], None] | None = None) -> None:
    """Run cycles until `stop` is set, sleeping until the next source is due."""
    while not stop.is_set():
        poller = Poller(store, options)  # fresh robots.txt answers each cycle
        try:
            result = cycle(store, poller=poller, smtp=smtp, base=base)
            if report is not None:
                report(result)
        except Exception:  # noqa: BLE001 - a bad cycle is logged; the next one may succeed
            log.exception("monitor cycle failed")
        due = poller.next_due()
        wait = MAX_SLEEP if due is None else (due - utcnow()).total_seconds()
        stop.wait(min(MAX_SLEEP, max(1.0, wait)))


def start_background(store: Store, **kwargs: object) -> tuple[threading.Thread, threading.Event]:
    """The loop in a daemon thread (for `serve --monitor`); set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=loop, args=(store, stop), kwargs=kwargs,  # type: ignore[arg-type]
                              name="veeduria-monitor", daemon=True)
    thread.start()
    return thread, stop
