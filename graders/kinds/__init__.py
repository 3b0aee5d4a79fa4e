"""Argument kinds that only one assignment uses, one module per assignment (named after it).

A module here declares kinds with `@argument_kind("name")` on a function `params -> object`; a check then sends
`Named("name", params)` and both sides build the same object. graders/sandbox/named.py loads every module
here, in the grader and (from a copy) in the sandbox: so a module may import only the standard library,
numpy, torch and `named`, and nothing of the reference.
"""
