"""`python -m koatty_lite package APP_DIR --entry handler.py [options]`: the function zip for any app.

The zip holds koatty_lite's runtime (never `cli/`), APP_DIR as a top-level package (without tests,
caches, virtualenvs, VCS and editor files), each `--entry` file at the top, and the `--requirements`
installed for the platform (Linux, the runtime's Python and architecture), not for this machine.
Of the runtime it ships the core, the `--platform`'s HTTP formats and the features the app uses
(cli/slim.py: a source scan plus a probe that imports the entries), stripped of docstrings and
comments with every line kept (cli/strip.py); `--all-modules` / `--keep-docstrings` ship it whole.
Bytecode is compiled by the runtime's own interpreter (found on PATH or in pyenv's versions); where
that interpreter is missing, one line says so and the zip ships source only (`--strict`: an error).
Deterministic: sorted entries, fixed 1980-01-01 timestamps, fixed modes, deflate level 9.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

from koatty_lite.cli._common import CliError, make_parser, run_cli

__all__ = [
    "DEFAULT_RUNTIME", "DEFAULT_PLATFORM", "ARCHS", "PackageResult", "build", "choose_platform", "find_interpreter", "runtime_version",
    "read_template", "pip_platforms", "main",
]

# Why: the runtime the examples' templates declare for AWS (examples/aws/template.yaml); a test keeps them in step.
DEFAULT_RUNTIME = "python3.12"
DEFAULT_PLATFORM = "aws"
ARCHS = ("x86_64", "arm64")
DATE = (1980, 1, 1, 0, 0, 0)
MIN_VERSION = (3, 10)

# What never goes into a function: tests, caches, virtualenvs, build output, VCS and editor files.
SKIP_DIRS = {"__pycache__", "tests", "test", "node_modules", "build", "dist", "htmlcov", "venv", "env"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".swp", ".swo", "~", ".orig", ".rej", ".bak")
SKIP_FILES = {"conftest.py", "Thumbs.db", "desktop.ini"}
# Why: dev tools (cli/, __main__.py) are never used by a function and cost bytes on each cold start.
RUNTIME_SKIP = {"cli", "__main__.py", "__pycache__"}


class PackageResult:
    """What `build` wrote: `path`, `size` (bytes), `entries` [(name, size)], `runtime`, `python` (None: source
    only), `platform` ('all' with --all-modules), `features` {name: why shipped}, `left_out` [runtime files]."""

    def __init__(self, path, size, entries, runtime, python, platform="all", features=None, left_out=()):
        self.path, self.size, self.entries, self.runtime, self.python = path, size, entries, runtime, python
        self.platform, self.features, self.left_out = platform, dict(features or {}), list(left_out)

    def runtime_kb(self) -> float:
        """The zipped size (KB) of the koatty_lite/ source files alone, as `write_zip` deflates them."""
        import io

        with zipfile.ZipFile(self.path) as src:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as out:
                for info in src.infolist():
                    if info.filename.startswith("koatty_lite/") and info.filename.endswith(".py"):
                        out.writestr(info, src.read(info), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
        return len(buf.getvalue()) / 1024


# --- runtime, interpreter, template ----------------------------------------------------------------
def runtime_version(runtime: str) -> str:
    """`python3.12` / `Python3.10` / `3.12` → `3.12`; a runtime koatty_lite cannot run on is a CliError."""
    m = re.fullmatch(r"(?:python)?(3)\.(\d+)", runtime.strip().lower())
    if not m:
        raise CliError(f"unknown runtime {runtime!r}: expected pythonX.Y, e.g. {DEFAULT_RUNTIME}")
    version = (int(m.group(1)), int(m.group(2)))
    if version < MIN_VERSION:
        raise CliError(f"runtime {runtime} is older than koatty_lite's minimum (Python 3.10): choose python3.10 or later")
    return "%d.%d" % version


def _answers(python: str, version: str) -> bool:
    """True when `python` runs and is that X.Y (a pyenv shim answering 'command not found' is not)."""
    try:
        p = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return False
    return p.returncode == 0 and p.stdout.strip() == version


def _pyenv_candidates(version: str) -> list:
    root = os.environ.get("PYENV_ROOT") or os.path.join(os.path.expanduser("~"), ".pyenv")
    vdir = os.path.join(root, "versions")
    try:
        names = os.listdir(vdir)
    except OSError:
        return []

    def patch(name):
        rest = name[len(version) + 1:]
        return int(rest) if rest.isdigit() else -1

    # Why: newest patch release first; "3.12-dev" or "3.12.1t" builds come last.
    names = sorted((n for n in names if n == version or n.startswith(version + ".")), key=patch, reverse=True)
    return [os.path.join(vdir, n, "bin", "python" + version) for n in names]


def find_interpreter(version: str) -> str | None:
    """The path of a working Python `version` (X.Y): this one, PATH's `pythonX.Y`, then pyenv's versions."""
    if "%d.%d" % sys.version_info[:2] == version and sys.executable:
        return sys.executable
    seen = set()
    for cand in [shutil.which("python" + version)] + _pyenv_candidates(version):
        if cand and cand not in seen:
            seen.add(cand)
            if os.path.isfile(cand) and _answers(cand, version):
                return cand
    return None


_KEY_RE = re.compile(r"""^\s*(?:-\s+)?([A-Za-z_]+)\s*:\s*(.*?)\s*$""")


def _scalar(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value.strip()


def read_template(path: str) -> tuple:
    """(runtime, arch) a SAM template, an `s.yaml` or a `serverless.yml` declares; either may be None.

    A line-based reader (no YAML library): `Runtime:` / `runtime:` values that name a Python, and
    `Architectures:` / `architecture:` (inline or as the next list item). Two different Python
    runtimes in one template are a CliError: say which with --runtime.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise CliError(f"--template {path}: cannot read file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise CliError(f"--template {path}: not UTF-8 text") from None
    runtimes, archs = [], []
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue
        m = _KEY_RE.match(line)
        if not m:
            continue
        key, value = m.group(1).lower(), _scalar(m.group(2))
        if key == "runtime" and re.fullmatch(r"(?i)python[0-9.]+", value):
            if value.lower() not in runtimes:
                runtimes.append(value.lower())
        elif key in ("architectures", "architecture"):
            items = value.strip("[]").split(",") if value else []
            if not value:  # the values are the list items on the next lines
                for nxt in lines[i + 1:]:
                    item = re.match(r"^\s*-\s*(.+?)\s*$", nxt)
                    if not item:
                        break
                    items.append(item.group(1))
            for item in items:
                item = _scalar(item).lower()
                if item in ARCHS and item not in archs:
                    archs.append(item)
    if len(runtimes) > 1:
        raise CliError(f"--template {path} declares several runtimes ({', '.join(runtimes)}): choose one with --runtime")
    if len(archs) > 1:
        raise CliError(f"--template {path} declares several architectures ({', '.join(archs)}): choose one with --arch")
    return (runtimes[0] if runtimes else None), (archs[0] if archs else None)


# --- dependencies ---------------------------------------------------------------------------------------
def pip_platforms(version: str, arch: str) -> list:
    """The manylinux tags a Lambda/FC/SCF Linux of that Python accepts (glibc 2.17; 2.28 from 3.12 on)."""
    machine = "aarch64" if arch == "arm64" else "x86_64"
    tags = [f"manylinux2014_{machine}", f"manylinux_2_17_{machine}"]
    # Why: Lambda's python3.12+ images are Amazon Linux 2023 (glibc 2.34); python3.10/3.11 are Amazon
    # Linux 2 (glibc 2.26), where a manylinux_2_28 wheel would fail at import.
    if tuple(int(x) for x in version.split(".")) >= (3, 12):
        tags.append(f"manylinux_2_28_{machine}")
    return tags


def _pip(args: list) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pip", *args]
    return subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def _last_error(p: subprocess.CompletedProcess) -> str:
    lines = [ln.strip() for ln in (p.stderr or p.stdout or "").splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR")]
    return (errors or lines or ["pip failed"])[-1][:300]


def _is_pure(wheel: str) -> bool:
    """A wheel with no compiled parts: its tags end `-none-any`."""
    parts = wheel[:-4].split("-")
    return len(parts) >= 5 and parts[-2] == "none" and parts[-1] == "any"


def install_requirements(requirements: str, target: str, version: str, arch: str, log) -> None:
    """`pip install --target` the requirements for the platform: binary wheels first, then pure-Python sdists.

    As the SAM CLI and Chalice do: a wheel for the runtime's Python, manylinux and architecture is
    taken as is; a package with no such wheel is built here, and kept only when the built wheel is
    pure Python (`-none-any`); a compiled one is an error naming it.
    """
    import importlib.util

    if importlib.util.find_spec("pip") is None:
        raise CliError(f"--requirements needs pip in {sys.executable}: install it (python -m ensurepip)")
    if not os.path.isfile(requirements):
        raise CliError(f"--requirements {requirements}: no such file")
    plat = ["--implementation", "cp", "--python-version", version, "--only-binary=:all:"]
    for tag in pip_platforms(version, arch):
        plat += ["--platform", tag]
    common = ["--disable-pip-version-check", "--no-input", "--quiet"]
    p = _pip(["install", *common, "--no-compile", "--target", target, *plat, "-r", requirements])
    if p.returncode == 0:
        return
    # Fallback: resolve and build on this machine, then keep pure wheels and fetch platform wheels.
    log(f"package: no binary wheel for everything in {requirements} ({_last_error(p)}); "
        "building the missing ones here (pure Python only)")
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    with tempfile.TemporaryDirectory(prefix="koatty-wheels-") as wheels:
        built = os.path.join(wheels, "built")
        p = _pip(["wheel", *common, "--wheel-dir", built, "-r", requirements])
        if p.returncode != 0:
            raise CliError(f"--requirements {requirements}: pip could not get or build them: {_last_error(p)}")
        chosen = []
        for name in sorted(os.listdir(built)):
            if not name.endswith(".whl"):
                continue
            if _is_pure(name):
                chosen.append(os.path.join(built, name))
                continue
            dist, ver = name.split("-")[:2]
            dest = os.path.join(wheels, "platform", dist)
            p = _pip(["download", *common, "--no-deps", "--dest", dest, *plat, f"{dist}=={ver}"])
            got = [f for f in os.listdir(dest) if f.endswith(".whl")] if p.returncode == 0 else []
            if not got:
                raise CliError(
                    f"{dist} {ver} has compiled parts and no wheel for python{version} on Linux {arch} "
                    f"({', '.join(pip_platforms(version, arch))}): pin a version that publishes one, "
                    "or build in the runtime's image (e.g. sam build --use-container)")
            chosen.append(os.path.join(dest, got[0]))
        if chosen:
            p = _pip(["install", *common, "--no-compile", "--no-deps", "--no-index", "--target", target, *plat,
                      *chosen])
            if p.returncode != 0:
                raise CliError(f"--requirements {requirements}: installing the wheels failed: {_last_error(p)}")


# --- files ----------------------------------------------------------------------------------------------
def _skip_dir(path: str, name: str) -> bool:
    return (name in SKIP_DIRS or name.startswith(".") or name.endswith(".egg-info")
            or os.path.exists(os.path.join(path, "pyvenv.cfg")))  # a virtualenv, whatever its name


def _skip_file(name: str) -> bool:
    return (name.startswith(".") or name in SKIP_FILES or name.endswith(SKIP_SUFFIXES)
            or (name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))))


def app_files(app_dir: str, exclude=()) -> list:
    """Sorted relative paths of the files of APP_DIR that ship (see SKIP_DIRS / _skip_file)."""
    exclude = {os.path.realpath(p) for p in exclude}
    out = []
    for dirpath, dirnames, filenames in os.walk(app_dir):
        # Why: a vendored koatty_lite/ inside the app folder is shipped once, at the top, as the runtime.
        top = dirpath == app_dir
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(os.path.join(dirpath, d), d)
                             and not (top and d == "koatty_lite"))
        for name in filenames:
            path = os.path.join(dirpath, name)
            if _skip_file(name) or os.path.realpath(path) in exclude:
                continue
            out.append(os.path.relpath(path, app_dir))
    return sorted(out)


def runtime_files() -> tuple:
    """(koatty_lite's directory, sorted relative paths of its runtime .py files: no cli/, no __main__)."""
    import koatty_lite

    root = os.path.dirname(os.path.abspath(koatty_lite.__file__))
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames if not (rel_dir == "." and d in RUNTIME_SKIP)
                             and d != "__pycache__" and not d.startswith("."))
        for name in filenames:
            if name.endswith(".py") and not (rel_dir == "." and name in RUNTIME_SKIP):
                out.append(os.path.normpath(os.path.join(rel_dir, name)))
    return root, sorted(out)


def _copy(src: str, dest: str) -> None:
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copyfile(src, dest)
    if os.stat(src).st_mode & 0o111:
        os.chmod(dest, 0o755)  # Why: scf_bootstrap and other scripts must stay executable


_COMPILE = r"""
import sys
del sys.path[0]  # the working folder: no module of the app may shadow the stdlib modules used here
import json, os, py_compile
root, bad = sys.argv[1], []
for d, dirs, files in os.walk(root):
    dirs.sort()
    for f in sorted(files):
        if f.endswith(".py"):
            path = os.path.join(d, f)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            try:
                py_compile.compile(path, dfile=rel, doraise=True,
                                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            except py_compile.PyCompileError as exc:
                bad.append([rel, str(exc.exc_value).splitlines()[0] if str(exc.exc_value) else exc.exc_type_name])
cold, runtime = json.loads(sys.argv[2]), os.path.join(root, "koatty_lite")
if os.path.isdir(os.path.join(runtime, "__pycache__")):
    import importlib.util, marshal
    code = []
    try:
        for rel in cold:  # as py_compile compiles (dfile: the file name the pycs record)
            with open(os.path.join(runtime, rel + ".py"), "rb") as fh:
                code.append(compile(fh.read(), "koatty_lite/" + rel + ".py", "exec", dont_inherit=True))
    except (OSError, SyntaxError, ValueError):
        code = None  # a cold module missing or not compiling (said above): no cache, its pycs or source load
    if code:
        with open(os.path.join(runtime, "__pycache__", "cold.%s.bin" % sys.implementation.cache_tag), "wb") as fh:
            fh.write(importlib.util.MAGIC_NUMBER + marshal.dumps((None, code)))
print(json.dumps(bad))
"""


def compile_tree(root: str, python: str) -> list:
    """Compile every .py under root with `python` into unchecked-hash pycs, and root/koatty_lite's code
    cache (koatty_lite/__init__.py: the cold modules' code in one marshal blob, unchecked as those pycs);
    return [(file, error)]."""
    import json

    from koatty_lite import _COLD

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"  # Why: set/frozenset constants marshal in a fixed order: the same zip every time
    # Why not -I: it implies -E, which ignores PYTHONHASHSEED (3.10's pycs then differed from build to build);
    # -s -S keep user and site packages out, and the script drops the working folder from sys.path itself.
    p = subprocess.run([python, "-s", "-S", "-c", _COMPILE, root, json.dumps(_COLD)], capture_output=True,
                       text=True, env=env, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise CliError(f"compiling with {python} failed: {_last_error(p)}")
    return [tuple(x) for x in json.loads(p.stdout.strip().splitlines()[-1])]


def write_zip(staging: str, out: str) -> list:
    """Zip the staging tree deterministically into `out`; return [(name, size)] sorted by name."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(staging):
        dirnames.sort()
        for name in filenames:
            path = os.path.join(dirpath, name)
            entries.append((os.path.relpath(path, staging).replace(os.sep, "/"), path))
    entries.sort()
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".function-", suffix=".zip", dir=parent)
    os.close(fd)
    listing = []
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            for arc, path in entries:
                with open(path, "rb") as fh:
                    data = fh.read()
                info = zipfile.ZipInfo(arc, date_time=DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Why: unix, so external_attr permissions are honoured.
                mode = 0o100755 if os.stat(path).st_mode & 0o111 else 0o100644
                info.external_attr = mode << 16
                zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
                listing.append((arc, len(data)))
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return listing


# --- the runtime's modules -----------------------------------------------------------------------------
def choose_platform(platform: str | None, template: str | None, entries: list, seen: dict) -> str:
    """--platform, else the template's cloud, else the one platform every handler() names, else tencent
    for an scf_bootstrap entry, else DEFAULT_PLATFORM (aws)."""
    from koatty_lite.cli import slim

    if platform:
        return platform
    cloud = slim.platform_from_template(template) if template else None
    if cloud:
        return cloud
    named = {h.get("platform") for h in seen.get("handlers") or ()} - {"auto", None}
    if len(named) == 1:
        return named.pop()
    if any(os.path.basename(e) == "scf_bootstrap" for e in entries):
        return "tencent"
    return DEFAULT_PLATFORM


def slim_runtime(staging: str, files: list, app_sources: list, entries: list, *, platform: str | None,
                 template: str | None, with_features=(), log, probe: bool = True) -> tuple:
    """Delete from staging/koatty_lite the modules the app does not use (cli/slim.py) and append the
    left-out hook; return (platform, {feature: why}, left-out files)."""
    from koatty_lite.cli import slim

    stems = [os.path.basename(e)[:-3] for e in entries if e.endswith(".py")]
    if not probe:
        seen = {"error": None, "skipped": True}
    else:
        seen = slim.probe(staging, stems) if stems else {"error": "no .py entry to import"}
    if seen.get("error"):
        log(f"package: importing the entry to see what the app uses failed ({seen['error']}); the runtime's "
            "modules are chosen from the source alone (--with NAME or --all-modules ship more)")
    platform = choose_platform(platform, template, entries, seen)
    with_features, clouds, why = list(with_features), [], {}
    for h in seen.get("handlers") or ():
        if platform != "all" and h.get("platform") not in ("auto", platform, None) and h["platform"] not in clouds:
            clouds.append(h["platform"])
            log(f"package: handler(platform={h['platform']!r}) in the entry: shipping cloud {h['platform']} too")
    # Why: what the source imports of another cloud (its formats module, platform="..."): --no-probe too.
    for cloud, where in slim.scan_clouds(app_sources + list(entries)).items():
        if platform != "all" and cloud != platform and cloud not in clouds:
            clouds.append(cloud)
            log(f"package: {where}: shipping cloud {cloud} too")
    root = staging + "-runtime"  # the whole runtime, to put a module back from
    shutil.copytree(os.path.join(staging, "koatty_lite"), root)
    try:
        for _ in range(len(files)):
            shipped, left, features = slim.select(files, platform, with_features=with_features,
                                                  source_paths=app_sources + list(entries), seen=seen,
                                                  clouds_needed=clouds, template=template, entries=entries)
            features.update(why)
            _apply(staging, root, files, left, platform)
            if seen.get("error") or seen.get("skipped") or not left:
                break
            # Check: the slim tree imports the entries too. A left-out module imported anyway (a need
            # the scan and the first probe could not see) ships, said in one line, and we check again.
            check = slim.probe(staging, stems)
            needed = _still_needed(check, left, platform)
            if not needed:
                if check.get("error"):
                    log(f"package: importing the entry from the slim package failed ({check['error']})")
                break
            for module in needed:
                kind, name = slim.owner(module)
                log(f"package: importing the entry needs {module}: shipping {kind} {name}")
                if kind == "cloud":
                    clouds.append(name)
                else:
                    with_features.append(name)
                    why[name] = f"importing the entry needs {module}"
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return platform, features, left


def _still_needed(check: dict, left: list, platform: str) -> list:
    """The left-out modules (names) a probe of the slim tree shows it cannot do without: the one whose
    import failed, or, when the runtime registered no format of ``platform``, the clouds it asked for."""
    from koatty_lite.cli import slim

    names = {"koatty_lite." + rel[:-3].replace(os.sep, "/").replace("/", ".") for rel in left}
    asked = [n for n in check.get("asked") or () if n in names]
    if check.get("error"):
        # why: the module the ImportError names, else the last one asked for (a skipped cloud comes earlier)
        return [check["missing"]] if check.get("missing") in names else asked[-1:]
    registered = check.get("platforms")
    if platform != "all" and registered is not None and platform not in registered:
        # why: a runtime that gives up every cloud when one is absent: ship the ones it asked for
        return [n for n in asked if slim.owner(n)[0] == "cloud"]
    return []


def _apply(staging: str, root: str, files: list, left: list, platform: str) -> None:
    """Make staging/koatty_lite the whole runtime (from root) less ``left``, with the left-out hook."""
    from koatty_lite.cli import slim

    runtime = os.path.join(staging, "koatty_lite")
    for rel in files:
        path = os.path.join(runtime, rel)
        if rel in left:
            if os.path.exists(path):
                os.unlink(path)
        else:
            _copy(os.path.join(root, rel), path)
    if left:
        with open(os.path.join(runtime, "__init__.py"), "a", encoding="utf-8", newline="\n") as fh:
            fh.write(slim.left_out_hook(left, platform))


def strip_runtime(staging: str) -> None:
    """Every koatty_lite/*.py in staging without docstrings and comments, lines kept (cli/strip.py)."""
    from koatty_lite.cli.strip import strip_source

    runtime = os.path.join(staging, "koatty_lite")
    for dirpath, _, filenames in os.walk(runtime):
        for name in filenames:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
                with open(path, "w", encoding="utf-8", newline="") as fh:
                    fh.write(strip_source(text))


# --- the build -------------------------------------------------------------------------------------------
def build(app_dir: str, entries: list, out: str = os.path.join("dist", "function.zip"), *, name: str | None = None,
          requirements: str | None = None, runtime: str | None = None, arch: str | None = None,
          template: str | None = None, bytecode: bool = True, strict: bool = False, log=None,
          platform: str | None = None, with_features=(), all_modules: bool = False,
          keep_docstrings: bool = False, probe: bool = True) -> PackageResult:
    """Build the function zip; see the module docstring. `log(line)` gets the one-line notices (stderr).

    ``platform``: aws, alicloud, tencent or all (None: see choose_platform); ``with_features``: the
    features to ship whatever the app seems to use; ``all_modules``: the whole runtime, every cloud;
    ``keep_docstrings``: the runtime's source as written; ``probe``: False chooses the runtime's
    modules from the source scan alone (the entries are not imported here)."""
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    if not os.path.isdir(app_dir):
        raise CliError(f"app folder {app_dir!r} is not a directory")
    app_dir = os.path.abspath(app_dir)
    name = name or os.path.basename(app_dir.rstrip(os.sep))
    if not name.isidentifier():
        raise CliError(f"app folder {os.path.basename(app_dir)!r} is not a Python package name: "
                       f"give --name {re.sub(r'[^0-9A-Za-z_]', '_', name)} (the name your entry module imports)")
    if not entries:
        raise CliError("give the entry module with --entry (e.g. --entry handler.py: handler = koatty_lite.handler(App))")
    tops = {"koatty_lite": "koatty_lite's runtime", name: "the app folder"}
    for entry in entries:
        if not os.path.isfile(entry):
            raise CliError(f"--entry {entry}: no such file")
        base = os.path.basename(entry)
        top = base[:-3] if base.endswith(".py") else base
        if top in tops:
            raise CliError(f"--entry {entry} would be {base!r} at the top of the zip, like {tops[top]}: rename it")
        tops[top] = f"--entry {entry}"
    t_runtime, t_arch = read_template(template) if template else (None, None)
    runtime = runtime or t_runtime or DEFAULT_RUNTIME
    version = runtime_version(runtime)
    runtime = "python" + version
    arch = arch or t_arch or "x86_64"
    if arch not in ARCHS:
        raise CliError(f"unknown --arch {arch!r}: choose x86_64 or arm64")
    python = None
    if bytecode:
        python = find_interpreter(version)
        if python is None:
            where = "on PATH or in pyenv's versions"
            msg = (f"no working python{version} {where}: cannot compile bytecode for {runtime}; "
                   "install it (e.g. pyenv install %s) or pass --runtime" % version)
            if strict:
                raise CliError(msg)
            log(f"package: {msg}. Shipping source only (each cold start compiles every module).")
    # Why: an entry kept in APP_DIR (examples/flask_migration/handler.py) ships once, at the top.
    exclude = [out] + ([template] if template else []) + ([requirements] if requirements else []) + list(entries)
    with tempfile.TemporaryDirectory(prefix="koatty-package-") as staging:
        root, files = runtime_files()
        for rel in files:
            _copy(os.path.join(root, rel), os.path.join(staging, "koatty_lite", rel))
        sources = app_files(app_dir, exclude=exclude)
        for rel in sources:
            _copy(os.path.join(app_dir, rel), os.path.join(staging, name, rel))
        for entry in entries:
            _copy(entry, os.path.join(staging, os.path.basename(entry)))
        own = set(os.listdir(staging))
        if requirements:
            deps = os.path.join(staging + "-deps")
            try:
                install_requirements(requirements, deps, version, arch, log)
                for top in sorted(os.listdir(deps)):
                    if top in ("bin", "__pycache__"):
                        continue  # Why: console scripts carry this machine's interpreter path; useless in a function
                    stem = top[:-3] if top.endswith(".py") else top
                    if top in own or stem in tops:
                        raise CliError(f"requirement file or package {top!r} clashes with {tops.get(stem, top)}: rename yours")
                    shutil.move(os.path.join(deps, top), os.path.join(staging, top))
            finally:
                shutil.rmtree(deps, ignore_errors=True)
            for dirpath, dirnames, _ in os.walk(staging):
                if "__pycache__" in dirnames:
                    shutil.rmtree(os.path.join(dirpath, "__pycache__"))
                    dirnames.remove("__pycache__")
        features, left = {}, []
        if all_modules:
            platform = "all"
        else:
            platform, features, left = slim_runtime(
                staging, files, [os.path.join(app_dir, rel) for rel in sources], entries, platform=platform,
                template=template, with_features=with_features, log=log, probe=probe)
        if not keep_docstrings:
            strip_runtime(staging)
        if python:
            failed = compile_tree(staging, python)
            mine = [(f, e) for f, e in failed if f.split("/", 1)[0] in own]
            if mine:
                f, e = mine[0]
                raise CliError(f"{f} does not compile for {runtime}: {e}")
            if failed:
                log(f"package: {len(failed)} file(s) of the requirements do not compile for {runtime} and ship as "
                    f"source (first: {failed[0][0]}: {failed[0][1]})")
        listing = write_zip(staging, out)
    return PackageResult(out, os.path.getsize(out), listing, runtime, python, platform, features, left)


def runtime_summary(res: PackageResult) -> str:
    """One line: the platform, the features shipped (and why), the left-out ones, koatty_lite's zipped source."""
    from koatty_lite.cli import slim

    if res.platform == "all" and not res.left_out:
        return f"runtime: every module, every cloud ({res.runtime_kb():.1f} KB zipped source)"
    chosen = ", ".join(f"{n} ({why})" for n, why in sorted(res.features.items())) or "none"
    left = sorted(set(slim.FEATURES) - set(res.features))
    return (f"runtime for {res.platform}: core + {chosen}; left out: {', '.join(left) or 'nothing'} "
            f"(--with NAME ships one) ({res.runtime_kb():.1f} KB zipped source)")


def _main(argv):
    p = make_parser(prog="python -m koatty_lite package",
                                description="Build the function zip of an app: koatty_lite + APP_DIR + entry + requirements.")
    p.add_argument("app_dir", metavar="APP_DIR", help="the app folder; it ships as the package of that name")
    p.add_argument("--entry", action="append", default=[], metavar="FILE",
                   help="entry module (handler = koatty_lite.handler(App)), put at the top; repeatable")
    p.add_argument("--requirements", metavar="FILE", help="pip requirements, installed for the platform")
    p.add_argument("--runtime", help=f"the function's runtime, e.g. python3.12 (default: the template's, else {DEFAULT_RUNTIME})")
    p.add_argument("--arch", choices=ARCHS, help="x86_64 (default) or arm64, for the requirements' wheels")
    p.add_argument("--template", metavar="FILE", help="SAM template.yaml, s.yaml or serverless.yml: its runtime and architecture")
    p.add_argument("--name", help="the package name of APP_DIR in the zip (default: the folder's name)")
    p.add_argument("--platform", choices=("aws", "alicloud", "tencent", "all"),
                   help="the cloud whose HTTP formats ship (default: the template's, else the one handler(platform=) "
                        f"names, else tencent for an scf_bootstrap entry, else {DEFAULT_PLATFORM}); all: every cloud")
    from koatty_lite.cli.slim import FEATURES

    # why here: the shipped runtime's ImportError names a left-out feature, not what it is for (its bytes)
    p.add_argument("--with", dest="with_features", action="append", default=[], metavar="FEATURE",
                   help="ship a runtime feature the app does not seem to use (repeatable, or comma-separated): "
                        + "; ".join(f"{f.name}: {f.what}" for f in FEATURES.values()))
    p.add_argument("--all-modules", action="store_true", help="ship the whole runtime, every cloud (as before 0.1.0's slim packages)")
    p.add_argument("--no-probe", action="store_true",
                   help="do not import the entries here to see what the app uses: the source scan alone decides")
    p.add_argument("--keep-docstrings", action="store_true",
                   help="ship the runtime's source as written (default: docstrings and comments stripped, lines kept)")
    p.add_argument("--source-only", action="store_true", help="ship no bytecode")
    p.add_argument("--strict", action="store_true", help="fail when the runtime's interpreter is not on this machine")
    p.add_argument("--list", action="store_true", help="print every file with its size")
    p.add_argument("-o", "--output", default=os.path.join("dist", "function.zip"), metavar="ZIP")
    args = p.parse_args(argv)
    res = build(args.app_dir, args.entry, args.output, name=args.name, requirements=args.requirements,
                runtime=args.runtime, arch=args.arch, template=args.template, bytecode=not args.source_only,
                strict=args.strict, platform=args.platform,
                with_features=[f.strip() for arg in args.with_features for f in arg.split(",") if f.strip()],
                all_modules=args.all_modules, keep_docstrings=args.keep_docstrings, probe=not args.no_probe)
    if args.list:
        for arc, size in res.entries:
            print(f"{size:>9}  {arc}")
    code = f"bytecode for {res.runtime} ({res.python})" if res.python else f"source only (runtime {res.runtime})"
    print(runtime_summary(res))
    print(f"{res.path}: {res.size} bytes, {len(res.entries)} files, {code}")
    return 0


def main(argv) -> int:
    """Entry point of `python -m koatty_lite package`."""
    return run_cli(_main, argv)
