"""Run calls at the same moment from several threads, each with its own database connection."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.db import connection


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    error: BaseException | None = None


def run_concurrently(calls: list[Callable[[], Any]], *, threads: int) -> list[Outcome]:
    """Start every call as soon as all `threads` are ready; return outcomes in call order.

    Each call runs on a pool thread with that thread's own Django connection, closed after
    the call (so no connection outlives the test and the test database can be dropped).
    """
    go = threading.Event()

    def run(call):
        go.wait()
        try:
            return Outcome(value=call())
        except BaseException as error:  # noqa: BLE001 — reported to the test, which asserts
            return Outcome(error=error)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(run, call) for call in calls]
        go.set()
        return [future.result(timeout=120) for future in futures]
