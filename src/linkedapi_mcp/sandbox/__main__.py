"""``python -m linkedapi_mcp.sandbox [--host H] [--port P] [--seed N] [--speed X]``."""

import argparse
import sys

from .cli import add_arguments, run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m linkedapi_mcp.sandbox", description="Run the Linked API sandbox.")
    add_arguments(parser)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
