"""One suite per assignment, each reading top to bottom like the homework."""
