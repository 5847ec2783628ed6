"""Progress of long-running loads.

Library code reports through a :class:`Progress`: ``step(message)`` for the stages of a load (sent to
the ``gis.progress`` logger, INFO) and ``count(what, done, total)`` for long loops. Counters go to a
*bar factory* when one is given — the command line passes one built on ``click.progressbar``
(:func:`gis.cli.progress_for`) — and are otherwise ignored. Nothing here prints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)


class Bar(Protocol):
    """What a progress bar must offer (``click.progressbar`` objects do)."""

    def update(self, n_steps: int) -> None:
        """Advance by ``n_steps``."""

    def render_finish(self) -> None:
        """Finish the bar."""


BarFactory = Callable[[str, int], Bar]


class Progress:
    """Steps to the log, counters to an optional progress bar.

    Parameters
    ----------
    label
        Prefix of the step messages (``[géographie] lecture du COG 2026``).
    quiet
        Report nothing.
    bar
        ``bar(label, total)`` returns a progress bar for a counted loop.
    """

    def __init__(self, label: str, *, quiet: bool = False, bar: BarFactory | None = None) -> None:
        self.label = label
        self.quiet = quiet
        self._bar_factory = bar
        self._bar: Bar | None = None
        self._what: str | None = None
        self._done = 0

    def step(self, message: str) -> None:
        """Report the start of a stage."""
        self.close()
        if not self.quiet:
            log.info("[%s] %s", self.label, message)

    def count(self, what: str, done: int, total: int | None = None) -> None:
        """Report ``done`` items of ``total`` in the loop ``what``."""
        if self.quiet or self._bar_factory is None or not total:
            return
        if self._bar is None or self._what != what:
            self.close()
            self._bar, self._what, self._done = self._bar_factory(f"[{self.label}] {what}", total), what, 0
        self._bar.update(done - self._done)
        self._done = done
        if done >= total:
            self.close()

    def close(self) -> None:
        """Finish the current bar, if any."""
        if self._bar is not None:
            self._bar.render_finish()
            self._bar, self._what = None, None


def silent() -> Progress:
    """Return a Progress that reports nothing."""
    return Progress("", quiet=True)
