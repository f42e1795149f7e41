"""``python -m demo [--host H] [--port P]``: prepare the demo database and serve the console."""

from __future__ import annotations

import argparse

from .console import create_app
from .seed import PASSWORD, USERS, prepare


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on")
    args = parser.parse_args(argv)

    app = create_app()
    with app.app_context():
        prepare()
    print(f"Demo users: {', '.join(USERS)} (password {PASSWORD!r})")
    # The dev server only: this is a demo, never a production deployment.
    app.run(host=args.host, port=args.port, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
