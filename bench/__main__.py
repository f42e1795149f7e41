"""Run the benchmarks named on the command line, or all of them."""

from __future__ import annotations

import argparse
import importlib

BENCHMARKS = ("sync",)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], default=list(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    for name in args.names or BENCHMARKS:
        importlib.import_module(f"bench.{name}").main(quick=args.quick)


if __name__ == "__main__":
    main()
