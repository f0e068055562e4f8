"""Shared pytest fixtures: scenario folders and dbt builds in per-test directories."""

from __future__ import annotations
