"""``python -m linkedapi_mcp``: the same as the ``linkedapi-mcp`` command."""

import sys

from linkedapi_mcp.cli import main

if __name__ == "__main__":
    sys.exit(main())
