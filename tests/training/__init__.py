"""Tests of the pure training engine."""
