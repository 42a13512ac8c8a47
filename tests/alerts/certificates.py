"""A throwaway certificate authority and server certificates for given names, made with the
``openssl`` command, for the HTTPS delivery tests."""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ThrowawayAuthority:
    directory: Path
    server_names: list[str] = field(default_factory=list)  # the SNI each handshake sent

    def __post_init__(self) -> None:
        self._openssl(
            "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=pulse-test-ca"
            " -keyout ca.key -out ca.pem"
        )

    def client_context(self) -> ssl.SSLContext:
        """Trusts this authority only, verifying names as any client does."""
        return ssl.create_default_context(cafile=str(self.directory / "ca.pem"))

    def server_context(self, name: str) -> ssl.SSLContext:
        """Serves a certificate for ``name`` signed by this authority; records every SNI."""
        (self.directory / "san.ext").write_text(f"subjectAltName=DNS:{name}\n")
        self._openssl(
            f"req -newkey rsa:2048 -nodes -subj /CN={name} -keyout {name}.key -out {name}.csr"
        )
        self._openssl(
            f"x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1"
            f" -extfile san.ext -out {name}.pem"
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(
            str(self.directory / f"{name}.pem"), str(self.directory / f"{name}.key")
        )
        context.sni_callback = self._heard
        return context

    def _heard(self, _sock: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> None:
        self.server_names.append(server_name or "")

    def _openssl(self, command: str) -> None:
        subprocess.run(
            ["openssl", *command.split()], cwd=self.directory, check=True, capture_output=True
        )
