"""The deployment files stay in step with the code and with each other (issue 15 item 1):
deploy/.env.example names every variable the code reads, and deploy/compose.yaml (untested: no
container runtime here) runs what deploy/systemd/ runs, with the same secrets and writable
paths. Plain file checks: no database, no server."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path, PurePosixPath

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Read by development tools only (the demo, benchmarks, screenshots), never by a deployment.
DEV_ONLY = {"XINFANG_BENCH_CHILD", "XINFANG_DEMO_SMTP_PORT", "XINFANG_PEER_DIR",
            "XINFANG_PROFILE_OUT", "CHROMIUM_PATH"}
READ = re.compile(r"(?:environ\.get\(|environ\[|getenv\(|envbool\(|envsecret\()\s*"
                  r"\"([A-Z][A-Z0-9_]+)\"")


def _example() -> tuple[dict[str, str], str]:
    text = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    values = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values, text


class _MultiDict(dict):
    """Repeated keys (ExecStart=, Environment=) are kept, one line each, as systemd reads
    them: configparser collects an option's lines in a list, then joins them."""

    def __setitem__(self, key, value):
        if isinstance(value, list) and isinstance(self.get(key), list):
            self[key].extend(value)
        else:
            super().__setitem__(key, value)


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None, dict_type=_MultiDict)
    unit.optionxform = str  # ExecStart, not execstart
    unit.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return unit


def _values(unit: configparser.ConfigParser, key: str) -> list[str]:
    return [v for v in unit.get("Service", key, fallback="").split("\n") if v]


def _xinfang_commands(commands: list[list[str]]) -> list[list[str]]:
    """Each command with the install prefix dropped: /opt/xinfang/.venv/bin/x → x."""
    return [[PurePosixPath(c[0]).name, *[a.replace("/opt/xinfang/", "") for a in c[1:]]]
            for c in commands]


def test_env_example_names_every_variable_the_code_reads():
    sources = [p for p in (ROOT / "xinfang").rglob("*.py") if "demo" not in p.parts]
    read = {name for p in [*sources, DEPLOY / "gunicorn.conf.py"]
            for name in READ.findall(p.read_text(encoding="utf-8"))} - DEV_ONLY
    assert len(read) > 60, read  # the scan still finds the settings' reads
    _, text = _example()
    missing = sorted(n for n in read if not re.search(rf"\b{n}(_FILE)?\b", text))
    assert not missing, f"deploy/.env.example does not name {missing}"


def test_compose_runs_what_the_systemd_units_run():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]

    migrate = _unit("xinfang-migrate.service")
    unit_steps = _xinfang_commands([shlex.split(c) for c in _values(migrate, "ExecStart")])
    script = shlex.split(services["migrate"]["command"])[-1]  # sh -c "a && b && …"
    compose_steps = _xinfang_commands([shlex.split(c) for c in script.split("&&")])
    assert compose_steps == unit_steps

    web = _xinfang_commands([shlex.split(c) for c in
                             _values(_unit("xinfang-web.service"), "ExecStart")])
    [compose_web] = _xinfang_commands([shlex.split(services["web"]["command"])])
    assert web[0][:3] == compose_web[:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    worker = _xinfang_commands([shlex.split(c) for c in
                                _values(_unit("xinfang-worker.service"), "ExecStart")])
    assert worker == _xinfang_commands([shlex.split(services["worker"]["command"])]) \
        == [["xinfang", "worker"]]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_every_secret_file_of_the_environment_is_a_compose_secret():
    values, _ = _example()
    assert values["XINFANG_ENV"] == "production"
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    files = {k for k, v in values.items() if k.endswith("_FILE") and v.startswith("/etc/")}
    assert {"XINFANG_SECRET_KEY_FILE", "XINFANG_FIELD_KEY_FILE", "XINFANG_AUDIT_KEY_FILE"} <= files
    for name in ("migrate", "web", "worker"):
        service = compose["services"][name]
        for key in files:
            # The host's file (/etc/xinfang/x) is the container's secret x, never the host path.
            secret = values[key].rsplit("/", 1)[1]
            assert service["environment"].get(key) == f"/run/secrets/{secret}", (name, key)
            assert secret in service["secrets"], (name, key)
            assert compose["secrets"][secret]["file"] == values[key], key


def test_the_services_may_write_where_the_environment_points():
    """systemd's ProtectSystem=strict leaves only ReadWritePaths writable: every data path of
    the environment file lies under them, for each unit that runs the code; the metrics
    directory is the web unit's own (its RuntimeDirectory)."""
    values, _ = _example()
    paths = [values[k] for k in ("XINFANG_VAR_DIR", "XINFANG_STATIC_ROOT",
                                 "XINFANG_AUDIT_ANCHOR_FILE")]
    assert "PROMETHEUS_MULTIPROC_DIR" not in values
    for name in ("xinfang-migrate.service", "xinfang-web.service", "xinfang-worker.service"):
        unit = _unit(name)
        assert _values(unit, "EnvironmentFile") == ["/etc/xinfang/xinfang.env"]
        writable = [w for line in _values(unit, "ReadWritePaths") for w in line.split()]
        for path in paths:
            assert any(PurePosixPath(path).is_relative_to(w) for w in writable), (name, path)
    web = _unit("xinfang-web.service")
    [metrics] = [e.split("=", 1)[1] for e in _values(web, "Environment")
                 if e.startswith("PROMETHEUS_MULTIPROC_DIR=")]
    runtime = "/run/" + _values(web, "RuntimeDirectory")[0]
    assert PurePosixPath(metrics).is_relative_to(runtime)
    assert any(PurePosixPath(metrics).is_relative_to(w) for line in
               _values(web, "ReadWritePaths") for w in line.split())
