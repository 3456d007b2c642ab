"""Runs only if someone builds this project: TATS never does (the test below checks)."""

import json
import pathlib
import urllib.request

pathlib.Path(__file__).with_name("SETUP_PY_RAN").write_text("built")
config = json.loads(pathlib.Path(__file__).with_name("hostile.json").read_text())
urllib.request.urlopen(config["loopback_url"] + "/setup-py", timeout=3)

from setuptools import setup  # noqa: E402

setup(name="hostile", version="0.1")
