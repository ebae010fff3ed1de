"""Loopback fakes of the services Coach Dyno talks to."""
