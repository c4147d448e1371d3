"""Puts clients/python on sys.path and names the golden-vector directory."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(PACKAGE_ROOT)), "schemas", "golden")
if PACKAGE_ROOT not in sys.path:
    sys.path.insert(0, PACKAGE_ROOT)

INSTALL_HINT = ("run the tests with Debian's /usr/bin/python3 and install its packages: "
                "apt-get install -y python3-numpy python3-kafka")
