"""``hfollama demo`` and the notebooks' :func:`connect`: real services if reachable, else stand-ins.

- :mod:`~hfollama_widgets.demo.services`: probe, plan, the stand-ins, :func:`connect`;
- :mod:`~hfollama_widgets.demo.jupyter`: JupyterLab on the quickstart with that plan.

>>> plan = plan_demo("127.0.0.1:9", "http://127.0.0.1:9", ollama_timeout=0.5, hub_timeout=0.5)
>>> plan.stand_ins
True
"""

from __future__ import annotations

from hfollama_widgets.demo.services import (
    DEFAULT_HF_ENDPOINT,
    DEMO_PULL_SPEED,
    STAND_INS_ENV,
    DemoPlan,
    Probe,
    Services,
    StandIns,
    connect,
    free_port,
    hub_endpoint,
    plan_demo,
    probe_hub,
    probe_ollama,
)

__all__ = [
    "DEFAULT_HF_ENDPOINT",
    "DEMO_PULL_SPEED",
    "STAND_INS_ENV",
    "DemoPlan",
    "Probe",
    "Services",
    "StandIns",
    "connect",
    "free_port",
    "hub_endpoint",
    "plan_demo",
    "probe_hub",
    "probe_ollama",
]
