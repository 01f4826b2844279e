"""The production settings, as the load benchmark runs them (bench/load/run.py sets the environment).

The only change is the URLconf: it adds the bare baseline view. Throttles and the lookup cache are set through
their environment variables by run.py (one client address or one user at hundreds of requests a second would
only measure 429s).
"""

from __future__ import annotations

from claystack_portal.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.load.urls"
