"""`vocalis serve`, `keys`, `webui` and `prepare`: the long-running surfaces and what readies them."""

from __future__ import annotations

import argparse
import sys

from vocalis.errors import VocalisError
from vocalis.studio.cli.arguments import port

DRAIN_S = 5  # seconds a stopping server gives the requests under way (it exits well within 10 s)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from vocalis.memory import limit_malloc_arenas
    from vocalis.service.local_server import card_for
    from vocalis.studio.api import create_app
    from vocalis.studio.api.auth import AuthMode, startup_auth_mode
    from vocalis.studio.api.keys import KeyStore
    from vocalis.studio.api.observability import configure_logging
    from vocalis.studio.api.speech import WorkLimits

    limit_malloc_arenas()  # before the server's threads start (see vocalis.memory)
    if args.replicas != "auto" and (not args.replicas.isdigit() or int(args.replicas) < 1):
        raise VocalisError(f"--replicas {args.replicas}: give 1 or more, or auto")
    if args.chain_sync < 0:
        raise VocalisError(f"--chain-sync {args.chain_sync}: give seconds, or 0 to mirror only when asked")
    if args.rate < 0:
        raise VocalisError(f"--rate {args.rate}: give requests per minute, or 0 for no limit")
    if args.max_chars < 1 or args.max_seconds <= 0 or args.key_seconds < 0:
        raise VocalisError("--max-chars and --max-seconds must be above 0, --key-seconds 0 or above")
    auth = startup_auth_mode(args.host, args.no_auth, KeyStore())  # refuses an open server beyond loopback
    keys = {AuthMode.OFF: "no API keys checked", AuthMode.AUTO: "API keys needed once one exists",
            AuthMode.REQUIRED: "API keys needed"}[auth]
    print(f"serving on http://{args.host}:{args.port} ({keys}; docs at /docs)", file=sys.stderr)
    configure_logging(args.log_format)
    work = WorkLimits(args.max_chars, args.max_seconds, args.key_seconds)
    if args.ray is not None:
        _serve_on_ray(args, {"auth": auth, "rate_per_minute": args.rate, "cors_origins": tuple(args.cors_origin or ()),
                             "work": work, "chain_sync_s": args.chain_sync})
        return
    app = create_app(auth=auth, rate_per_minute=args.rate, cors_origins=args.cors_origin or (),
                     card=card_for(args.host, args.port), work=work,  # card: `vocalis say` here uses this engine
                     chain_sync_s=args.chain_sync)
    # On SIGTERM, requests under way get this long to finish; a running job goes back to the queue.
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=DRAIN_S)


def _serve_on_ray(args: argparse.Namespace, app_options: dict) -> None:
    """The same API as Ray Serve replicas (see studio.api.cluster), until Ctrl-C or SIGTERM."""
    import signal
    import threading

    try:
        from ray import serve
    except ImportError:
        raise VocalisError("--ray needs Ray Serve: pip install 'vocalis[cluster]'") from None
    from vocalis.studio.api.cluster import ClusterOptions, deploy

    replicas = None if args.replicas == "auto" else int(args.replicas)
    address = None if args.ray == "local" else args.ray
    deploy(ClusterOptions(address, replicas, args.host, args.port), app_options)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        serve.shutdown()


def cmd_keys(args: argparse.Namespace) -> None:
    from vocalis.studio.api.keys import KeyStore

    store = KeyStore()
    if args.action == "create":
        print(store.create(args.name, args.rate, args.operator))
        role = "operator key" if args.operator else "API key"
        print(f"created {role} {args.name!r}: it is shown only now, keep it (clients send "
              "`Authorization: Bearer KEY`); the server now needs a key on every /v1 request", file=sys.stderr)
    elif args.action == "revoke":
        store.revoke(args.name)
        print(f"revoked API key {args.name!r}", file=sys.stderr)
    else:
        keys = store.keys()
        print(f"API keys ({store.where}):" if keys else f"no API keys yet ({store.where})")
        for key in keys:
            rate = f"{key.rate}/min" if key.rate else "default rate"
            state = "revoked" if key.revoked else "active"
            print(f"  {key.name:<20} {key.hint}...  {rate:<13} {state}{', operator' if key.operator else ''}")


def cmd_webui(args: argparse.Namespace) -> None:
    from vocalis.memory import limit_malloc_arenas
    from vocalis.studio.webui import launch

    limit_malloc_arenas()
    print(f"starting the web UI on http://{args.host}:{args.port} (Ctrl+C to stop)", file=sys.stderr)
    launch(host=args.host, port=args.port)


def cmd_prepare(args: argparse.Namespace) -> None:
    from vocalis.service import Vocalis

    print("preparing the models (joins the model parts and builds the ONNX and watermark caches on first use)...",
          file=sys.stderr)
    Vocalis().warm()
    print("ready", file=sys.stderr)


def add_service_commands(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="run the HTTP API (OpenAI-compatible /v1/audio/speech, native /v1/tts)",
                           description="Serve the engine over HTTP: POST /v1/audio/speech (OpenAI's shape), "
                                       "POST /v1/tts (emotion, duration, streaming), GET/POST/DELETE /v1/voices "
                                       "(clone from uploads), POST/GET/DELETE /v1/voices/NAME/train (training jobs), "
                                       "POST /v1/jobs (long texts and YAML/JSONL batches, in the background). "
                                       "Interactive docs at /docs. /health answers once listening, /ready once the "
                                       "models have loaded (in the background) and the databases answer, /metrics "
                                       "in Prometheus's format. While it runs, `vocalis say` on this machine (same "
                                       "data home) hands its requests to it. --ray serves it on a Ray cluster.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=port, default=8000, help="port (default 8000)")
    serve.add_argument("--no-auth", action="store_true",
                       help="check no API keys, even on an address other machines can reach")
    serve.add_argument("--rate", type=int, default=60, metavar="N",
                       help="requests a minute per key without its own rate, or per client address while no key "
                            "exists (default 60; 0: no limit)")
    serve.add_argument("--max-chars", type=int, default=20_000, metavar="N",
                       help="characters one speech request may send (default 20000, about 20 minutes of speech); "
                            "longer texts go to POST /v1/jobs")
    serve.add_argument("--max-seconds", type=float, default=1800.0, metavar="S",
                       help="audio seconds one request may make (default 1800): a longer duration is refused, "
                            "a text is cut off there")
    serve.add_argument("--key-seconds", type=float, default=14400.0, metavar="S",
                       help="audio seconds one key (or address, without keys) may make per hour, over every "
                            "server on a shared VOCALIS_DB_URL (default 14400; 0: no limit)")
    serve.add_argument("--chain-sync", type=float, default=30.0, metavar="S",
                       help="mirror the market's ledger on chain every S seconds, retrying what failed (default 30; "
                            "0: only on POST /v1/market/chain/sync)")
    serve.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                       help="serve on a Ray cluster (Ray Serve): renderer replicas, each with its own engine, behind "
                            "this API; a batch's items spread over them. ADDRESS joins a running cluster "
                            "(e.g. ray://head:10001 or auto); without it a local one starts. Across "
                            "machines, set VOCALIS_DB_URL and a VOCALIS_HOME every node mounts")
    serve.add_argument("--replicas", default="2", metavar="N",
                       help="renderer replicas with --ray (default 2; auto: scaled on queue length)")
    serve.add_argument("--log-format", choices=("text", "json"), default="text",
                       help="one line per request on stderr (with its X-Request-ID), and warnings: plain text, or "
                            "JSON objects for a log shipper (default text)")
    serve.add_argument("--cors-origin", action="append", metavar="URL",
                       help="let web pages from this origin call the API (repeatable; default: none)")
    serve.set_defaults(run=cmd_serve)

    keys = sub.add_parser("keys", help="API keys for vocalis serve (create, revoke, list)",
                          description="Once any key exists, every /v1 request to `vocalis serve` needs "
                                      "`Authorization: Bearer KEY`. Keys are kept (as hashes) in VOCALIS_HOME.")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make a key and print it (shown only once)")
    create.add_argument("name", help="who the key is for (letters, digits, '_', '-', '.', '@')")
    create.add_argument("--rate", type=int, metavar="N", help="requests a minute for this key (default: the server's)")
    create.add_argument("--operator", action="store_true",
                        help="this key may also accept a signed document as written consent for a cloned voice "
                             "(POST /v1/voices/NAME/consent/document)")
    revoke = actions.add_parser("revoke", help="stop a key from working")
    revoke.add_argument("name")
    actions.add_parser("list", help="list the keys (names and first characters, never the secrets)")
    keys.set_defaults(run=cmd_keys)

    webui = sub.add_parser("webui", help="run the web interface (Speak, Clone, Train, Library, History; English/中文)",
                           description="Serve the browser interface: offline, no analytics, no share link.")
    webui.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; "
                                                           "0.0.0.0 to reach it from other machines)")
    webui.add_argument("--port", type=port, default=7860, help="port (default 7860)")
    webui.set_defaults(run=cmd_webui)

    prep = sub.add_parser("prepare", help="build the model caches now instead of on first use (a few minutes, once)")
    prep.set_defaults(run=cmd_prepare)
