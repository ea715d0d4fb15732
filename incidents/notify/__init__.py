"""Rendering messages from templates/ and handing them to an e-mail backend."""
