"""Run the benchmarks: `python -m benchmarks [name ...]` (all `bench_*.py` by default).

Each `bench_<name>.py` has a `main()` that measures, prints, and writes its results to
`benchmarks/results/<name>.md`. Benchmarks use their own databases and never run as
part of the test suite: timings on shared machines are noisy.
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    here = Path(__file__).parent
    names = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )
    chosen = argv or names
    unknown = set(chosen) - set(names)
    if unknown:
        sys.exit(f"Unknown benchmark(s): {', '.join(sorted(unknown))}. Known: {', '.join(names)}")
    for name in chosen:
        print(f"=== {name} ===", flush=True)
        importlib.import_module(f"benchmarks.bench_{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
