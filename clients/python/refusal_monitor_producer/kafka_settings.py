"""Kafka client settings the way every service of the project reads them, for kafka-python.

Java property names (``security.protocol``, ``sasl.jaas.config``, ``ssl.truststore.location``, ...) come from, later
wins: a properties file (``--config FILE``), ``KAFKA_<UPPER_SNAKE>`` environment variables (``KAFKA_SECURITY_PROTOCOL``
-> ``security.protocol``, the variables the Kubernetes pods get) and ``--set KEY=VALUE``. ``kafka_python_config``
turns them into kafka-python arguments. kafka-python reads PEM only, so the trust store must be a PEM file
(``ssl.truststore.type=PEM``, as the Kubernetes base mounts the cluster CA); SASL logins are PLAIN or SCRAM-SHA-256/512
with the user name and password taken from ``sasl.jaas.config``.

Secrets (the JAAS config and every password) are never printed: error messages name the setting, never its value.
``check_login`` connects once to the first bootstrap server before anything is sent, so a wrong password or an
untrusted certificate ends in one ProducerError instead of kafka-python's silent reconnect loop.
"""
import re
import socket
import ssl
import time

SUPPORTED = ("bootstrap.servers", "security.protocol", "sasl.mechanism", "sasl.jaas.config", "ssl.truststore.type",
             "ssl.truststore.location", "ssl.endpoint.identification.algorithm", "client.id")
PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
LOGIN_MODULES = {"PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
                 "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
                 "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule"}
# Security settings kafka-python cannot honour: refusing them beats silently connecting less securely than asked.
_SECURITY_PREFIXES = ("ssl.", "sasl.", "security.")


class SettingsError(ValueError):
    """A Kafka setting the Python producer cannot use (the message never contains a secret value)."""


def is_secret(key):
    k = key.lower()
    return "password" in k or "jaas" in k or "secret" in k or "token" in k or k.endswith(".key")


def read_properties(path):
    """A Java properties file: key=value or key: value lines, # and ! comments, \\ line continuations."""
    out = {}
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise SettingsError("cannot read configuration file %s: %s" % (path, e.strerror or e)) from None
    logical = []
    pending = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if not pending and (not stripped or stripped[0] in "#!"):
            continue
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            pending += stripped[:-1]
            continue
        logical.append(pending + stripped)
        pending = ""
    if pending:
        logical.append(pending)
    for line in logical:
        m = re.match(r"((?:[^=:\s\\]|\\.)+)\s*[=:\s]\s*(.*)$", line)
        if m:
            out[m.group(1).replace("\\", "")] = m.group(2).rstrip()
        else:
            out[line.strip()] = ""
    return out


def from_environment(environ):
    """Settings named by KAFKA_* variables this producer understands (KAFKA_HOME, KAFKA_OPTS, ... are not settings)."""
    out = {}
    for name, value in environ.items():
        if not name.startswith("KAFKA_") or len(name) <= len("KAFKA_"):
            continue
        key = name[len("KAFKA_"):].lower().replace("_", ".")
        if key in SUPPORTED or key.startswith(_SECURITY_PREFIXES):
            out[key] = value
    return out


def parse_sets(pairs):
    out = {}
    for p in pairs or ():
        key, sep, value = p.partition("=")
        if not sep or not key.strip():
            raise SettingsError("--set needs KEY=VALUE, got a value without '=' or without a key")
        out[key.strip()] = value.strip()
    return out


def load(config_file=None, environ=None, sets=()):
    """The merged settings: file < environment < --set."""
    merged = {}
    if config_file:
        merged.update(read_properties(config_file))
    merged.update(from_environment(environ or {}))
    merged.update(parse_sets(sets))
    return merged


def _jaas_login(jaas, mechanism):
    """(user name, password) from a JAAS line such as
    org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";"""
    expected = ('%s required username="..." password="...";' % LOGIN_MODULES[mechanism])
    m = re.match(r'\s*([\w.$]+)\s+required\b(.*)$', jaas, re.S)
    if not m or m.group(1) != LOGIN_MODULES[mechanism]:
        raise SettingsError("sasl.jaas.config does not name %s for sasl.mechanism=%s; expected %s"
                            % (LOGIN_MODULES[mechanism], mechanism, expected))
    options = dict(re.findall(r'(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"', m.group(2)))
    if not options.get("username") or "password" not in options:
        raise SettingsError("sasl.jaas.config needs username and password; expected " + expected)
    return options["username"].replace('\\"', '"'), options["password"].replace('\\"', '"')


def kafka_python_config(settings):
    """kafka-python KafkaProducer arguments (bootstrap_servers included when set) for the given Java settings.

    Raises SettingsError for a setting it cannot honour (a PKCS12/JKS trust store, client key stores, an unknown
    mechanism, an unsupported ssl./sasl. key) and for a value it cannot read.
    """
    unsupported = sorted(k for k in settings if k not in SUPPORTED)
    if unsupported:
        raise SettingsError("not supported by the Python producer: %s (supported: %s)"
                            % (", ".join(unsupported), ", ".join(SUPPORTED)))
    out = {}
    if settings.get("bootstrap.servers"):
        out["bootstrap_servers"] = [s.strip() for s in settings["bootstrap.servers"].split(",") if s.strip()]
    if settings.get("client.id"):
        out["client_id"] = settings["client.id"]
    protocol = settings.get("security.protocol", "PLAINTEXT").strip().upper()
    if protocol not in PROTOCOLS:
        raise SettingsError("security.protocol must be one of %s" % ", ".join(PROTOCOLS))
    out["security_protocol"] = protocol
    if protocol in ("SSL", "SASL_SSL"):
        store_type = settings.get("ssl.truststore.type", "PEM").strip().upper()
        if store_type != "PEM":
            raise SettingsError("ssl.truststore.type=%s: kafka-python reads PEM only; point ssl.truststore.location "
                                "at the CA certificate in PEM (ssl.truststore.type=PEM)" % store_type)
        if settings.get("ssl.truststore.location"):
            out["ssl_cafile"] = settings["ssl.truststore.location"]
        algorithm = settings.get("ssl.endpoint.identification.algorithm", "https").strip().lower()
        if algorithm not in ("https", ""):
            raise SettingsError("ssl.endpoint.identification.algorithm must be https (default) or empty")
        out["ssl_check_hostname"] = algorithm == "https"
    if protocol.startswith("SASL_"):
        mechanism = settings.get("sasl.mechanism", "GSSAPI").strip().upper()
        if mechanism not in MECHANISMS:
            raise SettingsError("sasl.mechanism=%s is not supported by the Python producer (supported: %s)"
                                % (mechanism, ", ".join(MECHANISMS)))
        if not settings.get("sasl.jaas.config"):
            raise SettingsError("security.protocol=%s needs sasl.jaas.config (KAFKA_SASL_JAAS_CONFIG)" % protocol)
        user, password = _jaas_login(settings["sasl.jaas.config"], mechanism)
        out.update(sasl_mechanism=mechanism, sasl_plain_username=user, sasl_plain_password=password)
    return out


def describe(config):
    """kafka-python arguments for a log line, secrets replaced by [hidden]."""
    return ", ".join("%s=%s" % (k, "[hidden]" if is_secret(k) else v) for k, v in sorted(config.items()))


def check_login(bootstrap_servers, config, timeout_s=15.0):
    """Connects to the first bootstrap server with config's TLS and SASL settings, then disconnects.

    Raises ProducerError with one line naming what failed: the TLS handshake (untrusted certificate, host name not in
    the certificate), the SASL login (wrong user name or password), or the connection itself.
    """
    from kafka.conn import BrokerConnection, ConnectionStates
    from .producer import ProducerError

    servers = bootstrap_servers if isinstance(bootstrap_servers, (list, tuple)) else bootstrap_servers.split(",")
    server = servers[0].strip()
    host, _, port = server.rpartition(":")
    host = host.strip("[]")
    seen = []
    options = {k: v for k, v in config.items() if k in BrokerConnection.DEFAULT_CONFIG}
    options["state_change_callback"] = lambda node_id, sock, conn: seen.append(conn.state)
    conn = BrokerConnection(host, int(port), socket.AF_UNSPEC, **options)
    deadline = time.time() + timeout_s
    try:
        while time.time() < deadline:
            try:
                conn.connect_blocking(timeout=max(0.0, deadline - time.time()))
            except ssl.SSLCertVerificationError as e:
                raise ProducerError("TLS handshake with %s failed: the broker's certificate was not accepted: %s"
                                    % (server, e.verify_message or e.reason)) from None
            except ssl.SSLError as e:
                raise ProducerError("TLS handshake with %s failed: %s" % (server, e.reason or e)) from None
            except Exception as e:  # kafka-python raises its own errors from the SASL exchange
                if ConnectionStates.AUTHENTICATING in seen:
                    raise ProducerError(_login_failed(server, config, type(e).__name__)) from None
                raise ProducerError("cannot connect to Kafka at %s: %s" % (server, type(e).__name__)) from None
            if conn.connected():
                return
            if ConnectionStates.AUTHENTICATING in seen:
                raise ProducerError(_login_failed(server, config, "the broker closed the connection"))
            if ConnectionStates.HANDSHAKE in seen:
                raise ProducerError("TLS handshake with %s failed: the broker closed the connection (is the listener "
                                    "SSL/SASL_SSL?)" % server)
            time.sleep(0.2)
        raise ProducerError("cannot connect to Kafka at %s within %.0f s" % (server, timeout_s))
    finally:
        conn.close()


def _login_failed(server, config, why):
    return ("SASL authentication as user '%s' (%s) at %s failed: %s; check the user name and password in "
            "sasl.jaas.config" % (config.get("sasl_plain_username", ""), config.get("sasl_mechanism", ""), server, why))
