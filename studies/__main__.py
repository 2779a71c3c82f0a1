"""python -m studies <name> [options]: run a study by its name (same options as its file)."""

import importlib
import sys

from studies import NAMES, main


def run(argv: list[str]) -> int:
    if not argv or argv[0] not in NAMES:
        given = argv[0] if argv else ""
        print(f"error: unknown study '{given}'; choose one of {', '.join(NAMES)}", file=sys.stderr)
        return 2
    main(importlib.import_module(f"studies.{argv[0]}").STUDY, argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
