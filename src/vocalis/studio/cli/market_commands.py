"""`vocalis market`: publish a consenting voice, browse, license, pay in, speak with a licensed voice, see
earnings, withdraw, check the books, set a wallet and mirror the ledger on chain. This machine's account is
`user:NAME`; amounts are in wei."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a command runs: `vocalis --help` stays quick
    from vocalis.market.registry import Published


def cmd_publish(args: argparse.Namespace) -> None:
    from vocalis.service import Vocalis
    from vocalis.service.marketplace import Market
    from vocalis.studio.cli.package_commands import package_options

    item = Market().publish(Vocalis(), args.voice, package_options(args))
    _show(item)
    print(f"published {args.voice} as {item.cid}", file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> None:
    from vocalis.service.marketplace import Market

    found = Market.browse(args.lang, args.gender, args.tag, args.max_per_use, args.query)
    for item in found:
        terms, listing = item.terms, item.listing
        print(f"{item.cid}  {listing.name:<14} {','.join(listing.languages):<5} {listing.gender or '-':<7} "
              f"{terms.per_use} wei/use + {terms.per_1k_chars} wei/1k chars  {' '.join(listing.tags)}")
    if not found:
        print("no voice on the market matches", file=sys.stderr)


def cmd_show(args: argparse.Namespace) -> None:
    from vocalis.service.marketplace import Market

    _show(Market.show(args.cid))


def cmd_license(args: argparse.Namespace) -> None:
    from vocalis.service.marketplace import Market

    held = Market().license(args.cid, args.kind)
    ends = f", until {held.expires_at}" if held.expires_at else ""
    print(held.id)
    print(f"licence {held.id} ({held.kind}{ends}). Speak with it:\n  vocalis market use {args.cid} --licence "
          f"{held.id} \"TEXT\" -o out.wav", file=sys.stderr)


def cmd_use(args: argparse.Namespace) -> None:
    from vocalis.service import FileSink, SpeechRequest, Vocalis
    from vocalis.service.market import MarketUse

    sink = FileSink(args.output)
    request = SpeechRequest(args.text, voice=f"market:{args.cid}", lang=args.lang, format=sink.format,
                            market=MarketUse(args.licence, args.use, args.request_key))
    result = Vocalis().render(request, sink)
    print(f"wrote {args.output} ({result.seconds:.2f} s), charged to licence {args.licence}", file=sys.stderr)


def cmd_export(args: argparse.Namespace) -> None:
    from vocalis.service.marketplace import Market

    data = Market().licensed_copy(args.licence)
    with open(args.output, "wb") as f:
        f.write(data)
    print(f"wrote {args.output}: the voice's package with your licence {args.licence}, signed by the platform "
          "(`vocalis package verify` shows it)", file=sys.stderr)


def cmd_deposit(args: argparse.Namespace) -> None:
    from vocalis.service.marketplace import Market

    market = Market()
    market.deposit(args.amount)
    print(f"{market.account}: balance {market.earnings().balance} wei", file=sys.stderr)


def cmd_earnings(args: argparse.Namespace) -> None:
    from vocalis.service.marketplace import Market

    books = Market().earnings(args.last)
    print(f"{books.account}: balance {books.balance} wei, earned {books.earned} wei, spent {books.spent} wei")
    for e in books.entries:
        mine = sum(delta for who, delta in e.moves if who == books.account)
        print(f"  #{e.seq} {e.time[:19]} {e.kind:<8} {mine:+d} wei{'  ' + e.cid if e.cid else ''}")


def cmd_withdraw(args: argparse.Namespace) -> None:
    from vocalis.service.marketplace import Market

    entry = Market().withdraw(args.amount)
    print(f"withdrew {entry.amount} wei (ledger entry #{entry.seq})", file=sys.stderr)


def cmd_delist(args: argparse.Namespace) -> None:
    from vocalis.service.marketplace import Market

    Market().delist(args.cid)
    print(f"{args.cid} is off the market; its licences no longer allow any use", file=sys.stderr)


def cmd_wallet(args: argparse.Namespace) -> None:
    from vocalis.service.marketplace import Market

    market = Market()
    print(f"{market.account} receives tokens and on-chain earnings at {market.set_wallet(args.address)}",
          file=sys.stderr)


def cmd_chain(_args: argparse.Namespace) -> int:
    from vocalis.service.marketplace import Market

    status = Market.sync_chain()
    print(f"sent {status.sent} item(s) to the chain ({status.gas} gas), {status.already} it had already, "
          f"{status.waiting} waiting")
    for error in status.errors:
        print(f"  waiting: {error}")
    if status.anchored:
        print(f"ledger head anchored: {status.anchored[0]} entries, {status.anchored[1][:16]}…; chain credits match "
              "the books")
    return 1 if status.waiting else 0


def cmd_books(_args: argparse.Namespace) -> None:
    from vocalis.service.marketplace import Market

    entries, head = Market.check_books()
    print(f"{entries} ledger entries, chain intact (head {head[:16]}…), every balance matches its entries")


def _show(item: Published) -> None:
    listing, terms = item.listing, item.terms
    published = datetime.fromisoformat(item.published_at).astimezone(UTC).strftime("%Y-%m-%d")
    print(f"cid       {item.cid}\nvoice     {listing.name} ({', '.join(listing.languages)}) {listing.description}\n"
          f"creator   {item.creator}, published {published} ({item.status})\nterms     {'; '.join(terms.offers())}\n"
          f"uses      {', '.join(terms.uses)}{'; licensable until ' + terms.expires if terms.expires else ''}")


def add_market_commands(sub: argparse._SubParsersAction) -> None:
    from vocalis.studio.cli.package_commands import add_listing_args

    market = sub.add_parser("market", help="the voice market: publish, list, show, license, use, earnings, …",
                            description="Creators publish consenting voices with licence terms; buyers license them "
                                        "and pay per use (80 %% to the creator, 20 %% to the platform). Amounts "
                                        "are in wei. This machine's account is the local user.")
    actions = market.add_subparsers(dest="action", required=True, metavar="ACTION")
    publish = actions.add_parser("publish", help="list a cloned or trained voice whose owner consented")
    publish.add_argument("voice", help="the library voice")
    add_listing_args(publish)
    publish.set_defaults(run=cmd_publish)
    browse = actions.add_parser("list", help="browse the listed voices")
    browse.add_argument("--lang", help="a language the voice speaks (en, zh)")
    browse.add_argument("--gender", help="female, male, …")
    browse.add_argument("--tag", help="a search tag")
    browse.add_argument("--max-per-use", type=int, metavar="WEI", help="most a use may cost, before characters")
    browse.add_argument("--query", help="words in the name or description")
    browse.set_defaults(run=cmd_list)
    for name, run, text in (("show", cmd_show, "a listed voice's terms"), ("delist", cmd_delist,
                                                                         "take your voice off the market")):
        action = actions.add_parser(name, help=text)
        action.add_argument("cid", help="the voice's package CID")
        action.set_defaults(run=run)
    license_ = actions.add_parser("license", help="license a voice (prints the licence id)")
    license_.add_argument("cid", help="the voice's package CID")
    license_.add_argument("--kind", choices=["per_use", "subscription", "buyout"], default="per_use",
                          help="pay per use (default), 30 days, or once for good")
    license_.set_defaults(run=cmd_license)
    use = actions.add_parser("use", help="speak with a licensed voice (charged when the speech is complete)")
    use.add_argument("cid", help="the voice's package CID")
    use.add_argument("text", help="what to say")
    use.add_argument("--licence", required=True, help="your licence id (from `market license`)")
    use.add_argument("--use", default="commercial", help="what the speech is for (default commercial)")
    use.add_argument("--request-key", help="repeat a request's key when retrying it: it is charged once")
    use.add_argument("--lang", default="auto", choices=["auto", "en", "zh"], help="text language (default auto)")
    use.add_argument("-o", "--output", default="out.wav", help="output file, its format by suffix (default out.wav)")
    use.set_defaults(run=cmd_use)
    export = actions.add_parser("export", help="your licensed voice's package for offline use, with the licence "
                                               "and your account in its signature")
    export.add_argument("licence", help="your licence id")
    export.add_argument("-o", "--output", required=True, metavar="FILE.vvp")
    export.set_defaults(run=cmd_export)
    deposit = actions.add_parser("deposit", help="pay funds into this account")
    deposit.add_argument("amount", type=int, metavar="WEI")
    deposit.set_defaults(run=cmd_deposit)
    earnings = actions.add_parser("earnings", help="balance, earnings and the ledger entries of this account")
    earnings.add_argument("--last", type=int, default=20, metavar="N", help="show the last N entries (default 20)")
    earnings.set_defaults(run=cmd_earnings)
    withdraw = actions.add_parser("withdraw", help="pay out this account's balance")
    withdraw.add_argument("--amount", type=int, metavar="WEI", help="how much (default: all of it)")
    withdraw.set_defaults(run=cmd_withdraw)
    books = actions.add_parser("books", help="check the ledger's hash chain and that every balance matches it")
    books.set_defaults(run=cmd_books)
    wallet = actions.add_parser("wallet", help="set the EVM address that receives your tokens and earnings")
    wallet.add_argument("address", help="0x followed by 40 hex digits")
    wallet.set_defaults(run=cmd_wallet)
    chain = actions.add_parser("chain", help="mirror the ledger on chain (exit 1 while items wait), anchor its "
                                             "head and check the chain's credits against the books",
                               description="The chain is in this process unless VOCALIS_CHAIN_URL names a "
                                           "JSON-RPC node (VOCALIS_CHAIN_CONTRACT: the deployed VoiceMarket; "
                                           "VOCALIS_CHAIN_KEYSTORE and VOCALIS_CHAIN_PASSWORD: the platform's key).")
    chain.set_defaults(run=cmd_chain)
