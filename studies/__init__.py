"""Study definitions: each file describes one experiment and runs it with `python studies/<name>.py`."""
