"""Run the benchmarks named on the command line, or all of them: python -m bench [NAME ...]."""

from __future__ import annotations

import argparse
import importlib

BENCHMARKS = ("sync", "bindings", "check", "picker", "load", "admission", "pull")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one of {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--compare",
        metavar="REV",
        help="run on the current tree and on git revision REV, and print the ratios",
    )
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if args.compare:
        from .compare import compare

        compare(args.compare, args.names or list(BENCHMARKS), args.quick)
        return
    for name in args.names or BENCHMARKS:
        importlib.import_module(f"bench.{name}").main(quick=args.quick)


if __name__ == "__main__":
    main()
