"""Kafka settings by the project's convention (file < KAFKA_* < --set), their kafka-python form, and secrets."""
import contextlib
import io
import os
import socket
import tempfile
import unittest

import numpy as np

import _support  # noqa: F401  (sys.path)
from refusal_monitor_producer import ProducerError, kafka_settings as ks
from refusal_monitor_producer.__main__ import main

SECRET = "s3ntinel-pw-python-unit"
JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="refusal-gateway" password="%s";' \
       % SECRET

# What a pod of the Kubernetes base gets: ConfigMap refusal-kafka-client plus the user's Secret.
POD_ENVIRONMENT = {
    "KAFKA_BOOTSTRAP_SERVERS": "my-cluster-kafka-bootstrap:9093",
    "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "KAFKA_SSL_TRUSTSTORE_TYPE": "PEM",
    "KAFKA_SSL_TRUSTSTORE_LOCATION": "/etc/refusal-monitor/kafka-ca/ca.crt",
    "KAFKA_SASL_JAAS_CONFIG": JAAS,
    "KAFKA_HOME": "/opt/kafka",        # names no setting: ignored, as by the Java services
    "PATH": "/usr/bin",
}


class KafkaSettingsTest(unittest.TestCase):
    def test_the_kubernetes_environment_becomes_kafka_python_arguments(self):
        config = ks.kafka_python_config(ks.load(environ=POD_ENVIRONMENT))
        self.assertEqual({
            "bootstrap_servers": ["my-cluster-kafka-bootstrap:9093"],
            "security_protocol": "SASL_SSL",
            "ssl_cafile": "/etc/refusal-monitor/kafka-ca/ca.crt",
            "ssl_check_hostname": True,
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": "refusal-gateway",
            "sasl_plain_password": SECRET,
        }, config)

    def test_file_then_environment_then_set(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "kafka.properties")
            with open(path, "w", encoding="utf-8") as f:
                f.write("# comment\nsecurity.protocol = SSL\nclient.id: from-file\n"
                        "ssl.truststore.location=/from/file.pem\nbootstrap.servers=a:1,\\\n  b:2\n")
            settings = ks.load(path, {"KAFKA_CLIENT_ID": "from-env"}, ["ssl.truststore.location=/from/set.pem"])
        self.assertEqual({"security.protocol": "SSL", "client.id": "from-env", "ssl.truststore.location": "/from/set.pem",
                          "bootstrap.servers": "a:1,b:2"}, settings)
        config = ks.kafka_python_config(settings)
        self.assertEqual(["a:1", "b:2"], config["bootstrap_servers"])
        self.assertEqual("/from/set.pem", config["ssl_cafile"])
        self.assertNotIn("sasl_mechanism", config)

    def test_host_name_verification_is_on_unless_switched_off_as_in_java(self):
        on = ks.kafka_python_config({"security.protocol": "SSL"})
        off = ks.kafka_python_config({"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": ""})
        self.assertTrue(on["ssl_check_hostname"])
        self.assertFalse(off["ssl_check_hostname"])

    def test_settings_it_cannot_honour_are_refused_without_echoing_secrets(self):
        cases = [
            (dict(ssl_truststore_type="PKCS12"), "kafka-python reads PEM only"),
            (dict(extra={"ssl.truststore.password": SECRET}), "not supported by the Python producer: ssl.truststore.password"),
            (dict(extra={"ssl.keystore.location": "/k.p12"}), "not supported by the Python producer: ssl.keystore.location"),
            (dict(mechanism="GSSAPI"), "sasl.mechanism=GSSAPI is not supported"),
            (dict(jaas='org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="%s";'
                       % SECRET), "does not name org.apache.kafka.common.security.scram.ScramLoginModule"),
            (dict(jaas='org.apache.kafka.common.security.scram.ScramLoginModule required password="%s";' % SECRET),
             "needs username and password"),
            (dict(jaas=SECRET), "does not name"),
            (dict(jaas=""), "needs sasl.jaas.config"),
        ]
        for change, message in cases:
            settings = {"security.protocol": "SASL_SSL", "sasl.mechanism": change.get("mechanism", "SCRAM-SHA-512"),
                        "sasl.jaas.config": change.get("jaas", JAAS),
                        "ssl.truststore.type": change.get("ssl_truststore_type", "PEM")}
            settings.update(change.get("extra", {}))
            with self.subTest(change=change):
                with self.assertRaises(ks.SettingsError) as caught:
                    ks.kafka_python_config(settings)
                self.assertIn(message, str(caught.exception))
                self.assertNotIn(SECRET, str(caught.exception))

    def test_describe_hides_the_password(self):
        text = ks.describe(ks.kafka_python_config(ks.load(environ=POD_ENVIRONMENT)))
        self.assertIn("sasl_plain_password=[hidden]", text)
        self.assertIn("sasl_plain_username=refusal-gateway", text)
        self.assertNotIn(SECRET, text)

    def test_check_login_names_an_unreachable_broker_in_one_line(self):
        with socket.socket() as s:  # a loopback port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = ks.kafka_python_config({"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
                                         "sasl.jaas.config": JAAS})
        with self.assertRaisesRegex(ProducerError, r"^cannot connect to Kafka at 127\.0\.0\.1:%d" % port) as caught:
            ks.check_login("127.0.0.1:%d" % port, dict(config, api_version=(2, 5, 0), reconnect_backoff_ms=20),
                           timeout_s=1.0)
        self.assertNotIn(SECRET, str(caught.exception))
        self.assertNotIn("\n", str(caught.exception))


class CommandLineTest(unittest.TestCase):
    def run_main(self, argv, environ):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv, environ)
        return code, out.getvalue(), err.getvalue()

    def test_an_unusable_setting_is_a_usage_error_that_hides_secrets(self):
        env = dict(POD_ENVIRONMENT, KAFKA_SSL_TRUSTSTORE_PASSWORD=SECRET)
        code, out, err = self.run_main(["--input", "unused.npy", "--model-id", "m"], env)
        self.assertEqual(2, code)
        self.assertEqual("not supported by the Python producer: ssl.truststore.password", err.splitlines()[0].split(" (")[0])
        self.assertNotIn(SECRET, out + err)

    def test_set_takes_only_settings_this_producer_supports(self):
        code, _, err = self.run_main(["--input", "unused.npy", "--model-id", "m", "--set", "linger.ms=20"],
                                     POD_ENVIRONMENT)
        self.assertEqual(2, code, err)
        self.assertIn("not supported by the Python producer: linger.ms", err)

    def test_without_bootstrap_servers_it_says_where_they_come_from(self):
        env = {k: v for k, v in POD_ENVIRONMENT.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
        code, _, err = self.run_main(["--input", "unused.npy", "--model-id", "m"], env)
        self.assertEqual(2, code)
        self.assertIn("--bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS", err)


if __name__ == "__main__":
    unittest.main()
