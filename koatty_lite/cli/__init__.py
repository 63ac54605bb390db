"""Developer tools behind `python -m koatty_lite`; not part of the function package."""
