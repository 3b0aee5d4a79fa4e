"""Staff solutions. Never imported by, copied into, or visible to the sandbox."""
