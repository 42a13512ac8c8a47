"""The deployment files (Dockerfile, docker-compose.yml, k8s/) agree with the code they run.

No machine here runs Docker or Kubernetes and PyYAML is not a dependency, so the files are read
as text. They keep to a plain subset these checks rely on: one key per line, commands as flow
lists (``command: ["worker"]``), compose services at two spaces of indent.
"""

from __future__ import annotations

import argparse
import importlib
import re
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import pytest

from pulse.cli import COMMANDS
from pulse.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
K8S = [*sorted((ROOT / "k8s").glob("*.yaml")), ROOT / "k8s" / "secret.yaml.example"]
ALL_FILES = [DOCKERFILE, COMPOSE, *K8S, ROOT / "k8s" / "README.md"]
PROCESSES = {"topics", "migrate", "worker", "sink", "api", "collect", "alerts"}

VARIABLE = re.compile(r"\bPULSE_[A-Z0-9_]+\b")
# `PULSE_X: value` (YAML) or `PULSE_X=value` (Dockerfile ENV); a name alone is a reference.
ASSIGNMENT = re.compile(r"\b(PULSE_[A-Z0-9_]+)(?::[ \t]+|=)(\"[^\"]*\"|[^\s\"]+)")
FLOW_LIST = re.compile(r"^\s*(command|args|entrypoint):[ \t]*(.*)$", re.MULTILINE)


def _code(path: Path) -> str:
    """The file without comments, so that prose cannot satisfy or break a check."""
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in path.read_text().splitlines())


def _settings_variables() -> dict[str, Any]:
    """Every variable Settings reads, by the PULSE_<SECTION>_<FIELD> rule, with its default."""
    defaults = Settings()
    names: dict[str, Any] = {}
    for top in fields(Settings):
        value = getattr(defaults, top.name)
        if is_dataclass(value):
            for sub in fields(value):
                names[f"PULSE_{top.name}_{sub.name}".upper()] = getattr(value, sub.name)
        else:
            names[f"PULSE_{top.name}".upper()] = value
    return names


def _assignments(*paths: Path) -> dict[str, str]:
    """The literal PULSE_* values the files set (compose interpolations and empties left out)."""
    found: dict[str, str] = {}
    for path in paths:
        for name, raw in ASSIGNMENT.findall(_code(path)):
            value = raw.strip('"')
            if value and "${" not in value:
                found[name] = value
    return found


def _flow_list(text: str) -> list[str]:
    assert text.startswith("[") and text.endswith("]"), f"not a flow list: {text!r}"
    return [item.strip().strip("\"'") for item in text[1:-1].split(",")]


def _compose_services() -> dict[str, str]:
    """Each service's block of docker-compose.yml, by name."""
    blocks: dict[str, str] = {}
    current: str | None = None
    in_services = False
    for line in _code(COMPOSE).splitlines():
        if re.match(r"\S", line):
            in_services, current = line.startswith("services:"), None
        elif in_services and (match := re.match(r"  ([\w-]+):\s*$", line)):
            current = match.group(1)
            blocks[current] = ""
        elif current is not None:
            blocks[current] += line + "\n"
    return blocks


def _pulse_invocations() -> dict[str, list[list[str]]]:
    """The argument lists given to the `pulse` entry point, per file."""
    compose = [
        _flow_list(match.group(2).strip())
        for block in _compose_services().values()
        if "<<: *pulse" in block
        for match in FLOW_LIST.finditer(block)
    ]
    k8s = {
        path.name: [_flow_list(m.group(2).strip()) for m in FLOW_LIST.finditer(_code(path))]
        for path in K8S
    }
    return {COMPOSE.name: compose, **k8s}


def _other_value(current: Any) -> str:
    if isinstance(current, bool):
        return str(not current).lower()
    if isinstance(current, int | float):
        return str(current + 1)
    return f"{current}x"


@pytest.mark.parametrize("name", sorted(_settings_variables()))
def test_derived_variable_names_are_read_by_settings(name: str) -> None:
    """Each variable name this file derives from Settings really changes Settings.from_env."""
    value = _other_value(_settings_variables()[name])
    assert Settings.from_env({name: value}) != Settings()


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_variable_mentioned_is_a_setting(path: Path) -> None:
    """Every PULSE_* name in a deployment file is one Settings reads, so renames break this."""
    unknown = set(VARIABLE.findall(path.read_text())) - set(_settings_variables())
    assert not unknown, f"{path.name} names settings that do not exist: {sorted(unknown)}"


@pytest.mark.parametrize("path", [DOCKERFILE, COMPOSE, *K8S], ids=lambda p: p.name)
def test_literal_values_parse(path: Path) -> None:
    """The values the files set are of the setting's type (Settings.from_env accepts them)."""
    Settings.from_env(_assignments(path))


def test_image_api_listens_on_all_interfaces() -> None:
    """The image's API binds 0.0.0.0, so it is reachable from outside its container."""
    assert Settings.from_env(_assignments(DOCKERFILE)).api.host == "0.0.0.0"
    assert Settings.from_env(_assignments(*K8S)).api.host == "0.0.0.0"


def test_no_jwt_secret_is_committed() -> None:
    """The JWT secret is never a literal: compose requires it from the environment, k8s a Secret."""
    for path in [DOCKERFILE, COMPOSE, *K8S]:
        assert "PULSE_API_JWT_SECRET" not in _assignments(path), path.name
    assert "${PULSE_API_JWT_SECRET:?" in _code(COMPOSE)
    assert "secretKeyRef: {name: pulse-secrets, key: PULSE_API_JWT_SECRET}" in _code(
        ROOT / "k8s" / "50-api.yaml"
    )


def test_entrypoint_is_never_overridden() -> None:
    """The image's entry point is `pulse` and no service or container replaces it."""
    assert 'ENTRYPOINT ["pulse"]' in _code(DOCKERFILE)
    assert "entrypoint:" not in _code(COMPOSE)
    for path in K8S:
        assert not re.search(r"^\s*-?\s*command:", _code(path), re.MULTILINE), path.name


@pytest.mark.parametrize("file", [COMPOSE.name, "k8s"])
def test_every_process_is_run(file: str) -> None:
    """Compose and k8s each run topics apply, migrate up, the worker, the sink, the API, the
    collector, the alert evaluator and the alert deliveries."""
    invocations = _pulse_invocations()
    runs = (
        invocations[file]
        if file == COMPOSE.name
        else [args for name, lists in invocations.items() if name != COMPOSE.name for args in lists]
    )
    assert {args[0] for args in runs} == PROCESSES
    assert ["topics", "apply"] in runs
    assert ["migrate", "up"] in runs
    assert ["alerts", "deliver"] in runs
    assert ["alerts", "evaluate"] in runs


def test_commands_are_registered() -> None:
    """Every command the files run is a subcommand registered in pulse.cli.COMMANDS."""
    for file, runs in _pulse_invocations().items():
        for args in runs:
            assert args[0] in COMMANDS, f"{file} runs unknown command {args}"


def test_command_arguments_parse() -> None:
    """The arguments after each subcommand are accepted by that command's own parser."""
    for file, runs in _pulse_invocations().items():
        for command, *rest in runs:
            parser = argparse.ArgumentParser(prog=f"pulse {command}")
            try:
                module = importlib.import_module(COMMANDS[command][0])
            except ModuleNotFoundError as exc:
                pytest.fail(f"{file} runs `pulse {command}`, whose module is missing: {exc}")
            module.add_arguments(parser)
            try:
                parser.parse_args(rest)
            except SystemExit:
                pytest.fail(f"{file}: `pulse {command} {' '.join(rest)}` does not parse")


def test_compose_api_port_matches_settings() -> None:
    """Compose publishes and health-checks the port the API listens on."""
    port = Settings.from_env(_assignments(COMPOSE)).api.port
    api = _compose_services()["api"]
    published = re.search(r"ports: \[\"\d+:(\d+)\"\]", api)
    health = re.search(r"127\.0\.0\.1:(\d+)/health", api)
    assert published and health
    assert int(published.group(1)) == int(health.group(1)) == port
    assert f"EXPOSE {Settings.from_env(_assignments(DOCKERFILE)).api.port}" in _code(DOCKERFILE)


def test_compose_collector_port_matches_settings() -> None:
    """Compose publishes and health-checks the port the collector listens on, on every interface."""
    image = Settings.from_env(_assignments(DOCKERFILE)).collector
    collector = _compose_services()["collector"]
    published = re.search(r"ports: \[\"\d+:(\d+)\"\]", collector)
    health = re.search(r"127\.0\.0\.1:(\d+)/health", collector)
    assert published and health
    assert int(published.group(1)) == int(health.group(1)) == image.port
    assert image.host == Settings.from_env(_assignments(*K8S)).collector.host == "0.0.0.0"
    assert str(image.port) in _code(DOCKERFILE).split("EXPOSE", 1)[1].splitlines()[0]


def test_k8s_api_port_and_probes_match_settings() -> None:
    """The API container port, Service port and /health probes follow the configured port."""
    port = Settings.from_env(_assignments(*K8S)).api.port
    text = _code(ROOT / "k8s" / "50-api.yaml")
    assert re.findall(r"containerPort: (\d+)", text) == [str(port)]
    assert re.findall(r"\bport: (\d+)", text) == [str(port)]
    assert "readinessProbe:\n            httpGet: {path: /health, port: http}" in text
    assert "livenessProbe:\n            tcpSocket: {port: http}" in text


def test_compose_dependencies_can_be_met() -> None:
    """Every depends_on condition names a service able to reach it (healthcheck or one-shot)."""
    services = _compose_services()
    conditions = [
        (name, dep, cond)
        for name, block in services.items()
        for dep, cond in re.findall(r"^\s+([\w-]+): \{condition: (\w+)\}", block, re.MULTILINE)
    ]
    assert conditions
    for name, dep, condition in conditions:
        assert dep in services, f"{name} depends on unknown service {dep}"
        if condition == "service_healthy":
            assert "healthcheck:" in services[dep], f"{name} waits for {dep}, which has no check"
        else:
            assert condition == "service_completed_successfully"
            assert 'restart: "no"' in services[dep], f"{dep} restarts, so it never completes"
