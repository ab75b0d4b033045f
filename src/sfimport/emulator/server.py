"""Run the emulator over HTTP(S): a blocking runner for the CLI and a background-thread server
for tests, both on uvicorn's h11 back end (it keeps header casing), with optional TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from starlette.types import ASGIApp


@dataclass(frozen=True)
class TlsFiles:
    """`cert_path` is what clients trust (a CA file); the server presents `chain_path`."""

    cert_path: Path
    chain_path: Path
    key_path: Path


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    cert_path: Path | None


def write_self_signed_tls(directory: Path) -> TlsFiles:
    """A local CA and a server certificate for 127.0.0.1, ::1 and localhost, written as PEM.

    A separate CA keeps strict verifiers (X509_STRICT) happy, which reject a CA certificate
    presented as the server's own.
    """
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sfimport emulator local CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = TlsFiles(
        directory / "emulator-ca.pem",
        directory / "emulator-cert.pem",
        directory / "emulator-key.pem",
    )
    files.cert_path.write_bytes(ca_cert.public_bytes(pem))
    files.chain_path.write_bytes(cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    # The key is private from the start: created 0600, never readable by others meanwhile.
    descriptor = os.open(files.key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
    return files


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on host:port (0: any free port); OSError when taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _config(app: ASGIApp, host: str, port: int, tls: TlsFiles | None) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        # uvicorn would add a lower-case "date"; the app sends its own "Date".
        date_header=False,
        # Clients often leave keep-alive TLS connections open; do not wait long for them.
        timeout_graceful_shutdown=1,
        # h11 refuses heads over 16 KiB with its own 400; let the app answer 414/431 as
        # Salesforce does (its web tier drops the connection only past about 32 KiB).
        h11_max_incomplete_event_size=64 * 1024,
        ssl_certfile=str(tls.chain_path) if tls else None,
        ssl_keyfile=str(tls.key_path) if tls else None,
    )


def _url(host: str, port: int, tls: bool) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"


def run(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 8443,
    tls: TlsFiles | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Serve until interrupted (Ctrl-C), on `sock` when given (already bound to host:port)."""
    uvicorn.Server(_config(app, host, port, tls)).run(sockets=[sock] if sock else None)


@contextmanager
def serve_in_thread(
    app: ASGIApp,
    *,
    tls: bool = False,
    host: str = "127.0.0.1",
    port: int = 0,
    cert_dir: Path | None = None,
    timeout: float = 10.0,
) -> Iterator[RunningServer]:
    """Serve `app` on `port` (0: a free loopback port) in a background thread for the `with`
    block; OSError (EADDRINUSE) when `port` is taken.

    Yields the base URL (and, with `tls`, the CA file clients should trust); returns once the
    server has shut down.
    """
    with tempfile.TemporaryDirectory(prefix="sfimport-emulator-") as scratch:
        files = write_self_signed_tls(cert_dir or Path(scratch)) if tls else None
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        # SO_REUSEADDR lets a restarted server take back its port from TIME_WAIT; a port
        # another process listens on still fails to bind.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        port = sock.getsockname()[1]
        server = uvicorn.Server(_config(app, host, port, files))
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"sfimport-emulator-{port}",
            daemon=True,
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise RuntimeError("the emulator server did not start")
            time.sleep(0.01)
        try:
            yield RunningServer(_url(host, port, tls), files.cert_path if files else None)
        finally:
            server.should_exit = True
            thread.join(timeout)
            sock.close()
