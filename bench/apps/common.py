"""Shared app data for the bench stacks: the same three routes everywhere."""
HELLO = {"hello": "world"}
