"""bpcheck_build.py: the build backend (PEP 517, and PEP 660 for pip install -e) of the Python
package bpcheck, from the standard library alone.

Why not setuptools: Debian 12's python3-setuptools (66) cannot build a wheel without the
separate `wheel` package (python3-wheel, which only python3-pip pulls in), and a fresh
virtualenv has neither on Python 3.12 and later; with either missing, `pip install` fails or
goes to the network. The package is a handful of pure-Python files, and a wheel of them is a
zip file of those files and four small text files (PEP 427, PEP 376), which this writes. It
needs nothing installed, so pip's build isolation has nothing to fetch: `pip install
testsuite/python` works offline, in any interpreter from 3.7 on.

The name and the version are the package's own (bpcheck/__init__.py's __version__, which
t/python checks against the Makefile's VERSION)."""
import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

NAME = "bpcheck"
SUMMARY = "Check backpropagation gradients against exact golden values, from a Python test"
HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = ["bpcheck_protocol.py"]  # beside the package: the old adapters' import name


def _version():
    with open(os.path.join(HERE, NAME, "__init__.py"), encoding="utf-8") as f:
        found = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M)
    if not found:
        raise RuntimeError("bpcheck/__init__.py sets no __version__")
    return found.group(1)


def _sources():
    """(path in the wheel, path on disk) of every file the package installs"""
    files = [(NAME + "/" + f, os.path.join(HERE, NAME, f))
             for f in sorted(os.listdir(os.path.join(HERE, NAME))) if f.endswith(".py")]
    return files + [(m, os.path.join(HERE, m)) for m in MODULES]


def _metadata(version):
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\nRequires-Python: >=3.7\n"
            % (NAME, version, SUMMARY))


def _write_wheel(directory, members):
    """members: (name, bytes) of the wheel's files; the dist-info and the RECORD are added"""
    version = _version()
    info = "%s-%s.dist-info" % (NAME, version)
    members = list(members) + [
        (info + "/METADATA", _metadata(version).encode()),
        (info + "/WHEEL", b"Wheel-Version: 1.0\nGenerator: bpcheck_build\nRoot-Is-Purelib: true\n"
                          b"Tag: py3-none-any\n"),
        (info + "/top_level.txt", ("%s\n%s\n" % (NAME, "\n".join(m[:-3] for m in MODULES))).encode()),
    ]
    record = []
    for name, data in members:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
    record.append(info + "/RECORD,,")
    members.append((info + "/RECORD", ("\n".join(record) + "\n").encode()))
    wheel = "%s-%s-py3-none-any.whl" % (NAME, version)
    with zipfile.ZipFile(os.path.join(directory, wheel), "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return wheel


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, [(name, _read(path)) for name, path in _sources()])


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """pip install -e: a .pth file that puts this folder on sys.path (the package and
    bpcheck_protocol.py are here), so that an edit takes effect with no reinstall"""
    return _write_wheel(wheel_directory, [("%s.pth" % NAME, (HERE + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    version = _version()
    base = "%s-%s" % (NAME, version)
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as t:
        for f in ["pyproject.toml", "bpcheck_build.py"] + [n for n, _ in _sources()]:
            t.add(os.path.join(HERE, f), arcname=base + "/" + f)
        tests = os.path.join(HERE, "tests")
        for f in sorted(os.listdir(tests)) if os.path.isdir(tests) else []:
            if f.endswith(".py"):
                t.add(os.path.join(tests, f), arcname=base + "/tests/" + f)
        data = _metadata(version).encode()
        info = tarfile.TarInfo(base + "/PKG-INFO")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return name
