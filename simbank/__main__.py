"""``python -m simbank --port 8700 --data var/simbank.json`` — see simbank/server.py."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import keys
from .server import NOTICE_MODES, Bank, Config, Store, make_server


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="simbank", description="模拟银行（开发与测试用）")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--data", default="var/simbank.json", help="state file (JSON); empty for memory only")
    parser.add_argument(
        "--merchant", action="append", default=[], metavar="ID:PUBLIC_KEY",
        help="a merchant and its SM2 public key (repeatable; default: the development merchant)",
    )  # fmt: skip
    parser.add_argument("--bank-key", default=os.environ.get("SIMBANK_PRIVATE_KEY", keys.DEV_BANK_PRIVATE_KEY))
    parser.add_argument("--retry-schedule", default="0,2,10,60,300", help="seconds before each notice attempt")
    parser.add_argument("--notice-mode", choices=NOTICE_MODES, default="normal", help="test hook for notices")
    parser.add_argument("--test-hooks", action="store_true", help="enable POST /test/* (never in production)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    merchants = dict(m.split(":", 1) for m in args.merchant) or {keys.DEV_MERCHANT_ID: keys.DEV_MERCHANT_PUBLIC_KEY}
    config = Config(
        bank_private_key=args.bank_key, merchants=merchants,
        retry_schedule=[float(x) for x in args.retry_schedule.split(",") if x.strip()],
        notice_mode=args.notice_mode, test_hooks=args.test_hooks,
    )  # fmt: skip
    bank = Bank(config, Store(Path(args.data) if args.data else None))
    server = make_server(args.host, args.port, bank)
    print(f"simbank listening on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
