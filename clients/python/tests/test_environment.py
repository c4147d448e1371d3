"""The interpreter has what the producer needs: a missing package fails here with an install hint (never skips)."""
import importlib
import unittest

from _support import INSTALL_HINT


class EnvironmentTest(unittest.TestCase):
    def test_numpy_is_importable(self):
        try:
            importlib.import_module("numpy")
        except ImportError as e:
            self.fail("numpy is missing (%s): %s" % (e, INSTALL_HINT))

    def test_kafka_python_is_importable(self):
        try:
            kafka = importlib.import_module("kafka")
        except ImportError as e:
            self.fail("kafka-python is missing (%s): %s" % (e, INSTALL_HINT))
        self.assertTrue(hasattr(kafka, "KafkaProducer"), "the 'kafka' module found is not kafka-python: " + INSTALL_HINT)


if __name__ == "__main__":
    unittest.main()
