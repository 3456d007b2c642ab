"""The sandbox's fixed layout, so that steps can name its paths::

/box/src    the submission's tree (the project may sit in a folder of it)
/box/home   HOME, fresh for each test run
/box/out    where runners write their reports, fresh for each test run
/box/venv   a Python project's virtualenv (writable while installing only)
/cache      dependency caches shared across candidates (writable while installing only)
/tats       files a step brings (a cleaned requirements list, a pytest.ini), read-only
/opt/tats/uv  uv, while installing
"""

SRC = "/box/src"
HOME = "/box/home"
OUT = "/box/out"
VENV = "/box/venv"
CACHE = "/cache"
STEP_FILES = "/tats"
UV = "/opt/tats/uv"
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"
CA_FILE = "/etc/ssl/certs/ca-certificates.crt"
