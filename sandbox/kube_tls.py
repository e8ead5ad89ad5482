"""TLS for the simulated Kubernetes API servers: a throwaway certificate authority and a server certificate.

kubectl (client-go's clientcmd) only sends a kubeconfig's credentials to an `https://` server; over plain
HTTP it sends no token at all. So, like a real ACK cluster, the sandbox's API server speaks HTTPS, and the
kubeconfig ACK hands out carries the authority in `certificate-authority-data`. The key pairs live only in
this process's memory (and briefly in a private temporary directory while `ssl` loads them).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import functools
import ipaddress
import os
import socket
import ssl
import tempfile
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALID_FOR = datetime.timedelta(days=3650)
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")


@dataclass(frozen=True)
class _Authority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


@functools.cache
def _authority() -> _Authority:
    """One CA per process: every sandbox in it (tests start many) shares it, so kubeconfigs stay valid."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ackmigrate sandbox"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + _VALID_FOR)
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
        .sign(key, hashes.SHA256())
    )
    return _Authority(key, certificate)


def certificate_authority_data() -> str:
    """The kubeconfig's `certificate-authority-data`: the CA certificate, PEM, base64-encoded."""
    pem = _authority().certificate.public_bytes(serialization.Encoding.PEM)
    return base64.b64encode(pem).decode()


def _subject_names(host: str) -> list[x509.GeneralName]:
    """Every name a client may use to reach the server: loopback, this machine, and the bound address."""
    dns = {"localhost", "kubernetes", "kubernetes.default", socket.gethostname()}
    ips = {"127.0.0.1", "::1"}
    if host in _WILDCARD_HOSTS:
        with contextlib.suppress(OSError):  # no resolvable host name: loopback and the names above still do
            ips.update(socket.gethostbyname_ex(socket.gethostname())[2])
    if host and _is_ip(host):
        ips.add(host)  # 0.0.0.0 too: the server's own URL names it, and some clients dial it as given
    elif host:
        dns.add(host)
    return [x509.DNSName(d) for d in sorted(dns)] + [
        x509.IPAddress(ipaddress.ip_address(i)) for i in sorted(ips)
    ]


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@functools.cache
def server_context(host: str) -> ssl.SSLContext:
    """An SSL context for an API server bound to `host`, with a certificate the CA above signed."""
    authority = _authority()
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + _VALID_FOR)
        .add_extension(x509.SubjectAlternativeName(_subject_names(host)), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix="ackmigrate-kube-tls-") as directory:
        chain = os.path.join(directory, "server.crt")
        key_file = os.path.join(directory, "server.key")
        with open(chain, "wb") as out:
            out.write(certificate.public_bytes(serialization.Encoding.PEM))
            out.write(authority.certificate.public_bytes(serialization.Encoding.PEM))
        with open(os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as out:
            out.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        context.load_cert_chain(chain, key_file)
    return context
