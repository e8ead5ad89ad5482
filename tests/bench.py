"""`make bench`: run every benchmark and print their figures in one table.

Exit status 1 when a target is missed, so a regression is visible in a script too.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback

from tests.benchmarks import Figure

BENCHMARKS = ("precheck", "ack", "capacity", "plan")


def main(names: list[str]) -> int:
    figures: list[Figure] = []
    for name in names or BENCHMARKS:
        started = time.monotonic()
        print(f"running {name} benchmark…", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"tests.benchmarks.{name}")
            figures.extend(module.run())
        except Exception as error:  # noqa: BLE001 - one crashed benchmark must not lose the others' figures
            traceback.print_exc(file=sys.stderr)
            figures.append(Figure.not_taken(name, error))
        print(f"  {name} done in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    print_table(figures)
    return 1 if any(f.met is False for f in figures) else 0


def print_table(figures: list[Figure]) -> None:
    header = ("benchmark", "measure", "value", "target", "")
    rows = [header, *(f.row() for f in figures)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
