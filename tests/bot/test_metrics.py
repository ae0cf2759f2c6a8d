"""GET /metrics, scraped as Prometheus would after a signed Slack request and a delivery."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.slack.messenger import SlackMessenger, outbox_client
from scheduler.delivery import Deliverer
from tests.bot.slack_harness import Slack
from tests.conftest import NOW
from tests.fakes import FakeClock, FakeSlack, give_everyone_slack_ids


def _value(page: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` on a metrics page (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in page.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name:
            got = ",".join(sorted((match[2] or "").split(","))) if match[2] else ""
            if got == wanted:
                return float(match[3])
    return 0.0


def test_metrics_show_a_slack_request_and_a_delivery(slack_run, sqlite_db, org, config, fake):
    give_everyone_slack_ids(sqlite_db, NOW)

    async def body(slack: Slack) -> tuple[str, str, str, str]:
        before = await (await slack.client.get("/metrics")).text()
        await slack.command(org.lm, "rate")
        await slack.submit(org.lm, await slack.opened_view(), {
            "person": org.js, "quarter": 1, "rating": "achieving",
            "what": "Shipped the plan", "how": "Brought people with her"})  # fmt: skip
        waiting = await slack.client.get("/metrics")
        assert waiting.status == 200
        assert waiting.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        queued = await waiting.text()
        channel = SlackMessenger(outbox_client(FakeSlack.TOKEN, fake.url))
        later = FakeClock(NOW + timedelta(minutes=1))
        await Deliverer(sqlite_db, config, {"slack": channel}, clock=later).run_until_idle()
        await channel.close()
        after = await (await slack.client.get("/metrics")).text()
        return before, queued, after, str(fake.calls_to("chat.postMessage"))

    before, queued, after, posted = slack_run(body)
    assert "Shipped the plan" in posted  # the job holder was told, through the fake Slack

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    # The slash command and the form's submission: two answered Slack requests, timed.
    assert grew("perfbot_http_requests_total", surface="slack", status="200") == 2
    assert grew("perfbot_http_request_seconds_count", surface="slack") == 2
    assert grew("perfbot_http_requests_total", surface="metrics", status="200") == 2
    # The rating's "you were rated" message waited in the outbox, then went out.
    assert _value(queued, "perfbot_outbox_due") >= 1
    assert grew("perfbot_nudges_delivered_total", kind="rating_recorded", outcome="sent") >= 1
    assert _value(after, "perfbot_outbox_due") == 0
    assert _value(after, "perfbot_outbox_oldest_due_seconds") == 0
    # Nothing personal in any label.
    assert "Js" not in after and "dept.example" not in after


def test_the_planner_counts_what_it_writes(sqlite_db, org, config) -> None:
    from scheduler.planner import plan
    from store.metrics import exposition

    before = exposition().decode()
    with sqlite_db.write() as session:
        report = plan(session, config=config, now=NOW)
    after = exposition().decode()
    assert report.total > 0
    grown: dict[str, Any] = {
        kind: _value(after, "perfbot_nudges_planned_total", kind=kind)
        - _value(before, "perfbot_nudges_planned_total", kind=kind)
        for kind in report.created
    }
    assert grown == {kind: float(n) for kind, n in report.created.items()}


def test_an_export_is_timed(sqlite_db, org, config, tmp_path) -> None:
    from store.metrics import exposition
    from store.workbook import export_workbook

    before = _value(exposition().decode(), "perfbot_export_seconds_count")
    export_workbook(
        sqlite_db, config, tmp_path / "hr.xlsx", actor=org.actor("hr"), now=NOW, year=2026
    )
    page = exposition().decode()
    assert _value(page, "perfbot_export_seconds_count") == before + 1
    assert _value(page, "perfbot_export_seconds_sum") > 0
