"""Tests of Coach Dyno."""
