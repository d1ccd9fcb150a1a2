"""The loop kind of data requests (数据开放需求): the department asked answers within the deadline,
the requester verifies; overdue requests escalate like every loop."""

from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.loops.public import LoopKindSpec

OPENDATA_REQUEST = LoopKindSpec(
    code="opendata_request",
    name=_("Request to open data"),
    step_days={"assign": 1, "accept": 2, "handle": 10, "verify": 10},
    verifier="reporter",
    escalate=True,
    reopen_days=10,
)
