"""Packaged settings profiles (TOML)."""
