"""The `breach` command: parses, calls the services and the response flow, prints; no rules of its own."""
