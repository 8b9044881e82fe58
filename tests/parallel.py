"""Real parallel transactions for concurrency tests: threads, each with its own database connection."""

import threading
from collections.abc import Callable

from django.db import connection


def run_at_once(work: Callable[[int], object], count: int) -> list:
    """Run work(i) in `count` threads released together; returns each result or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
