"""``python -m demo [--host H] [--port P]``: start the registry sandbox, prepare the demo
database against it and serve the console."""

from __future__ import annotations

import argparse
import signal
import sys

from .console import create_app
from .sandbox import start_sandbox
from .seed import PASSWORD, USERS, prepare


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on")
    args = parser.parse_args(argv)

    # ``kill`` (SIGTERM) ends the server like Ctrl+C does, so the sandbox's Docker Registry is
    # stopped and its temporary storage removed (atexit and ``finally`` do not run otherwise).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sandbox = start_sandbox()  # ports from DEMO_HARBOR_PORT / DEMO_REGISTRY_PORT
    print(sandbox.describe(), flush=True)
    app = create_app(sandbox.app_config())
    with app.app_context():
        prepare()
    print(f"Demo users: {', '.join(USERS)} (password {PASSWORD!r})", flush=True)
    try:
        # The dev server only: this is a demo, never a production deployment.
        app.run(host=args.host, port=args.port, debug=False, use_reloader=False)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
