"""Tests of the activity sources."""
