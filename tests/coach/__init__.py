"""Tests of the coach package."""
