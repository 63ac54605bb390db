"""`make zip`: build dist/function.zip with `python -m koatty_lite package` (koatty_lite/cli/package.py).

Without APP: the demo (`examples/demo` as `demo/`) with a generated `index.py` (`handler` and
`main_handler`), as before. With APP: that folder, ENTRY (required, space-separated files),
REQUIREMENTS, TEMPLATE, RUNTIME (default: the template's, else python3.12), ARCH, PYC=0 for source only,
OUT (default dist/function.zip), PLATFORM (aws, alicloud, tencent or all; default: the template's, else
aws), WITH (runtime features to ship whatever the app uses, e.g. `WITH=listen,cors`), ALL_MODULES=1 (the
whole runtime, every cloud), KEEP_DOCSTRINGS=1 (the runtime's source as written).
"""
from __future__ import annotations

import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from koatty_lite.cli import package  # noqa: E402
from koatty_lite.cli._common import CliError  # noqa: E402

INDEX = (
    '"""Function entry: AWS/FC `index.handler`, SCF `index.main_handler`."""\n'
    "from demo.app import App\n"
    "import koatty_lite\n"
    "\n"
    "handler = koatty_lite.handler(App)\n"
    "main_handler = handler\n"
)
DEMO = os.path.join(ROOT, "examples", "demo")


def build(out: str, pyc: bool = False, runtime: str | None = None, log=None, **options) -> tuple[int, int]:
    """Write the demo's zip to `out`; return (size in bytes, file count). `options`: package.build's
    platform, with_features, all_modules, keep_docstrings."""
    with tempfile.TemporaryDirectory() as tmp:
        index = os.path.join(tmp, "index.py")
        with open(index, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(INDEX)
        res = package.build(DEMO, [index], out, runtime=runtime, bytecode=pyc, log=log, **options)
    return res.size, len(res.entries)


def argv_from_env(env, out: str) -> list:
    """The `package` arguments `make zip` passes for APP=..., ENTRY=..., ... (empty values are unset)."""
    argv = [env["APP"]]
    entries = env.get("ENTRY", "").split()
    if not entries:
        raise CliError(f"make zip APP={env['APP']} needs ENTRY=handler.py (the entry module)")
    for entry in entries:
        argv += ["--entry", entry]
    for var, opt in (("REQUIREMENTS", "--requirements"), ("TEMPLATE", "--template"), ("RUNTIME", "--runtime"),
                     ("ARCH", "--arch")):
        if env.get(var):
            argv += [opt, env[var]]
    if env.get("PYC", "1") in ("", "0"):
        argv.append("--source-only")
    return argv + _slim_argv(env) + ["-o", out]


def _slim_argv(env) -> list:
    """--platform, --with, --all-modules, --keep-docstrings from PLATFORM, WITH, ALL_MODULES, KEEP_DOCSTRINGS."""
    argv = ["--platform", env["PLATFORM"]] if env.get("PLATFORM") else []
    argv += ["--with", env["WITH"]] if env.get("WITH") else []
    argv += ["--all-modules"] if env.get("ALL_MODULES", "0") not in ("", "0") else []
    return argv + (["--keep-docstrings"] if env.get("KEEP_DOCSTRINGS", "0") not in ("", "0") else [])


def _main(argv: list) -> int:
    env = {k: v for k, v in os.environ.items() if v != ""}
    out = argv[0] if argv else env.get("OUT", os.path.join(ROOT, "dist", "function.zip"))
    if env.get("APP"):
        return package._main(argv_from_env(env, out))
    pyc = env.get("PYC", "1") not in ("", "0")
    slim_args = _slim_argv(env)
    if slim_args:  # why: the demo with slim options goes through the CLI, which checks and reports them
        with tempfile.TemporaryDirectory() as tmp:
            index = os.path.join(tmp, "index.py")
            with open(index, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(INDEX)
            return package._main([DEMO, "--entry", index, *(["--runtime", env["RUNTIME"]] if env.get("RUNTIME") else []),
                                  *([] if pyc else ["--source-only"]), *slim_args, "-o", out])
    res_size, count = build(out, pyc=pyc, runtime=env.get("RUNTIME"))
    print(f"{out}: {res_size} bytes, {count} files")
    return 0


def main(argv: list | None = None) -> int:
    """CLI: `python tools/make_zip.py [OUT]`, settings from the environment (see the module docstring)."""
    from koatty_lite.cli._common import run_cli

    return run_cli(_main, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
