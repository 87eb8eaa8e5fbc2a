"""Command-line faces: thin Click commands over the library."""
