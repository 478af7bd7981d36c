"""The runner's poll schedule end to end: real runner, ledger and sandbox, on the sandbox's frozen clock.

The runner's clocks and sleep are the sandbox's virtual clock (sleeping advances it), so minutes of
LinkedIn time pass in milliseconds and every lag is exact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio.lowlevel
import pytest

from linkedapi_mcp.catalog import CATALOG
from linkedapi_mcp.client import LinkedApiClient
from linkedapi_mcp.facade import LinkedApi
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.ledger import Ledger
from linkedapi_mcp.server.runner import Backend, Runner
from linkedapi_mcp.server.timing import PollPolicy

pytestmark = pytest.mark.anyio


async def _no_report(_progress: float, _message: str, /, *, total: float | None = None) -> None:
    return None


async def test_once_a_few_sizes_were_timed_a_search_is_seen_within_seconds_with_fewer_gets_than_a_5_s_poll(
    tmp_path: Path,
) -> None:
    sandbox = Sandbox(seed=5, speed=0)

    def now() -> float:
        return float(sandbox.clock.now().timestamp())

    async def sleep(seconds: float) -> None:
        sandbox.clock.advance(-(-seconds * 1e6 // 1) / 1e6)  # whole microseconds, rounded up
        await anyio.lowlevel.checkpoint()

    ledger = Ledger(tmp_path / "ledger.sqlite3", clock=now)
    runner = Runner(ledger, dedupe_window=600, wall=now, monotonic=now, sleep=sleep)
    op = CATALOG["search_people"]
    async with LinkedApiClient(
        linked_api_token="x", identification_token="y", base_url=sandbox.base_url, transport=sandbox.transport()
    ) as client:
        backend = Backend(kind="sandbox", account="acct", api=LinkedApi(client), policy=PollPolicy())
        outcomes: list[dict[str, Any]] = []
        for term, limit in (("a", 5), ("b", 25), ("c", 100), ("d", 10), ("e", 60)):
            params = op.parse({"term": term, "limit": limit})
            outcomes.append(await runner.run_workflow(backend, op, params, budget=600, report=_no_report))
    ledger.close()

    last = outcomes[-1]
    assert last["status"] == "completed"
    record = sandbox.scheduler.get(last["workflowId"])
    assert record is not None
    assert record.finished_at is not None
    gets = [e for e in sandbox.requests.entries if e.method == "GET" and e.path == f"/workflows/{last['workflowId']}"]
    duration = (record.finished_at - record.created_at).total_seconds()
    lag = (gets[-1].virtual_time - record.finished_at).total_seconds()
    assert 0 <= lag <= PollPolicy().dense  # seen within one step of the dense window
    assert len(gets) < duration / 5  # a fixed 5 s poll would need one GET per 5 s
