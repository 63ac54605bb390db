"""A handler module that fails at import time (used by the CLI and runtime-client tests)."""
raise RuntimeError("broken at import on purpose")
