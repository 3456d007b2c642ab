"""Where the parts of TATS listen: the worker's routes (the contract's HTTP paths) and the default
local ports. The worker, the settings (URLs QStash calls), the queue admin (the reconcile
schedule), the CLI and the dev stack all take them from here.
"""

from __future__ import annotations

PROCESS_PATH = "/api/process-candidate"
FAILED_PATH = "/api/process-candidate/failed"
RECONCILE_PATH = "/api/reconcile"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"

WORKER_PORT = 8000
QSTASH_PORT = 8080
APP_PORT = 8501
