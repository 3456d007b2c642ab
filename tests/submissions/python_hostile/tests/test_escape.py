"""Each test tries one way out and passes only if the way is shut."""

import contextlib
import json
import os
import pathlib
import socket
import subprocess
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = json.loads((ROOT / "hostile.json").read_text())


def _reaches(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return True
    except OSError:
        return False


def test_the_network_is_shut_loopback_included():
    assert not _reaches("127.0.0.1", 5432)  # PostgreSQL on the host
    assert not _reaches("127.0.0.1", CONFIG["port"])  # the test's server on the host
    assert not _reaches(CONFIG["registry_ip"], 443)
    with pytest.raises(OSError):
        urllib.request.urlopen(CONFIG["loopback_url"] + "/from-a-test", timeout=3)


def test_nothing_outside_the_folder_is_writable():
    targets = ["/etc/hostile", "/usr/hostile", "/hostile", "/box/hostile", "/dev/hostile"]
    targets += [os.path.join(host_path, "hostile") for host_path in CONFIG["host_paths"]]
    for target in targets:
        with pytest.raises(OSError):
            pathlib.Path(target).write_text("x")
    (ROOT / "written-inside.txt").write_text("the candidate's folder is writable")


def test_the_environment_holds_nothing_of_tats():
    prefixes = ("TATS_", "QSTASH_", "GITHUB_", "COHERE_", "CO_API", "DATABASE_URL")
    assert [name for name in os.environ if name.startswith(prefixes)] == []
    for host_path in CONFIG["host_paths"]:
        assert not os.path.exists(host_path)
    print("environment:", dict(os.environ))
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            print(pid, pathlib.Path(f"/proc/{pid}/environ").read_bytes())


def test_setup_py_never_ran():
    assert not (ROOT / "SETUP_PY_RAN").exists()


def test_processes_left_behind():
    mark = CONFIG["mark"]
    subprocess.Popen(["sleep", f"{mark}1"], start_new_session=True)
    subprocess.Popen(["nohup", "sleep", f"{mark}2"], stdout=subprocess.DEVNULL)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", f"{mark}3"])
        os._exit(0)


def test_memory_beyond_the_limit_is_refused():
    with pytest.raises(MemoryError):
        bytearray(4 << 30)
