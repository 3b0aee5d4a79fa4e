"""autograde: a trusted grader for untrusted student code."""
