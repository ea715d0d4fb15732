"""Test doubles shared by the test suites (servers on loopback, fakes at the seams)."""
