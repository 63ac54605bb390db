"""Helpers for the packaging tests: hand-made wheels and sdists (no network, no build tools), a user's app."""
from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import textwrap
import zipfile


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def wheel_bytes(dist: str, version: str, files: dict, tag: str = "py3-none-any") -> bytes:
    """A valid wheel (PEP 427) holding `files` {path: text}."""
    info = f"{dist}-{version}.dist-info"
    payload = {path: text.encode() for path, text in files.items()}
    payload[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode()
    payload[f"{info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: koatty-lite-tests\n"
                                f"Root-Is-Purelib: {'true' if tag.endswith('none-any') else 'false'}\nTag: {tag}\n").encode()
    record = [_record_line(p, d) for p, d in payload.items()] + [f"{info}/RECORD,,"]
    payload[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in payload.items():
            zf.writestr(path, data)
    return buf.getvalue()


def write_wheel(directory, dist: str, version: str, files: dict, tag: str = "py3-none-any") -> str:
    """Write the wheel into `directory`; return its path."""
    path = os.path.join(str(directory), f"{dist}-{version}-{tag}.whl")
    with open(path, "wb") as fh:
        fh.write(wheel_bytes(dist, version, files, tag))
    return path


# An in-tree PEP 517 backend with no build requirements: pip builds this sdist offline.
_BACKEND = '''
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wheelmaker import wheel_bytes

DIST, VERSION = {dist!r}, {version!r}
FILES = {files!r}


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = f"{{DIST}}-{{VERSION}}-py3-none-any.whl"
    with open(os.path.join(wheel_directory, name), "wb") as fh:
        fh.write(wheel_bytes(DIST, VERSION, FILES))
    return name
'''


def write_sdist(directory, dist: str, version: str, files: dict) -> str:
    """An sdist (no wheel anywhere) whose in-tree backend builds a pure-Python wheel; return its path."""
    top = f"{dist}-{version}"
    here = os.path.abspath(__file__)
    with open(here, encoding="utf-8") as fh:
        maker = fh.read()
    members = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n",
        "backend.py": _BACKEND.format(dist=dist, version=version, files=files),
        "wheelmaker.py": maker,
    }
    path = os.path.join(str(directory), f"{top}.tar.gz")
    with tarfile.open(path, "w:gz") as tf:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(data))
    return path


def write_tree(root, files: dict) -> None:
    """Create `files` {relative path: text} under root (dedented)."""
    for rel, text in files.items():
        path = os.path.join(str(root), rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(textwrap.dedent(text))
