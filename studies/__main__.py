"""python -m studies <name> [options]: run a study by its name (same options as its file)."""
import importlib
import sys
from pathlib import Path

NAMES = sorted(p.stem for p in Path(__file__).resolve().parent.glob("*.py") if not p.name.startswith("_"))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in NAMES:
        given = argv[0] if argv else ""
        print(f"error: unknown study '{given}'; choose one of {', '.join(NAMES)}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(Path(__file__).resolve().parent))     # the study files import _run
    from ciper.studies import run_study
    run_study(importlib.import_module(argv[0]).STUDY, argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
