"""Settings of the worker processes that the fault-injection tests start and break on purpose.

The test settings plus the one switch that arms `whitelist.faults.fault_point`: it lives in a settings
module, not in the environment, so no deployment can arm it by accident.
"""

from __future__ import annotations

from claystack_portal.settings.test import *  # noqa: F403

WHITELIST_FAULT_INJECTION = True
