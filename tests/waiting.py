"""Waiting for a condition instead of sleeping a fixed time (tests must not depend on the machine being quiet).

    from waiting import wait_until
    wait_until(lambda: port_answers(url), timeout=120, what="the hub to answer")

``condition`` is called until it returns something truthy (returned) or ``timeout`` seconds have passed
(``TimeoutError`` naming ``what``, with the last exception the condition raised). The poll interval starts
small and grows, so a condition that becomes true quickly costs little and a slow one does not spin.
``timeout`` is a safety net for a hung process, never a measurement: make it generous.
"""

from __future__ import annotations

import time


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.02, max_interval: float = 0.5,
               ignore: tuple = (OSError,), fail_fast=None):
    """Poll ``condition()`` until it is truthy and return its value. Exceptions of the types in ``ignore``
    count as "not yet". ``fail_fast()``, if given, is checked on every poll: a truthy value (say, the exit
    status of a server that died) ends the wait at once with an AssertionError."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        if fail_fast is not None:
            reason = fail_fast()
            if reason:
                raise AssertionError(f"gave up waiting for {what}: {reason}")
        try:
            value = condition()
            if value:
                return value
        except ignore as exc:  # not ready yet
            last_error = exc
        if time.monotonic() >= deadline:
            raise TimeoutError(f"waited {timeout:g} s for {what}" + (f" (last error: {last_error!r})" if last_error else ""))
        time.sleep(interval)  # the poll interval, not a guess at how long the condition takes
        interval = min(interval * 1.5, max_interval)
