"""`vocalis package`: voices as signed, content-addressed packages (`.vvp`) for the market: export, verify,
import."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from vocalis.errors import PackageError, PackageTampered

if TYPE_CHECKING:  # imported when a command runs: `vocalis --help` stays quick
    from vocalis.market.package import Package
    from vocalis.service.packaging import PackageOptions


def package_options(args: argparse.Namespace) -> PackageOptions:
    """The listing and licence terms given on the command line (see `add_listing_args`)."""
    from vocalis.market.licence import LicenceTerms
    from vocalis.service.packaging import PackageOptions

    licence = LicenceTerms(per_use=args.per_use, per_1k_chars=args.per_1k_chars,
                           subscription_per_30_days=args.subscription, buyout=args.buyout,
                           quota_chars=args.quota_chars, uses=tuple(args.uses), expires=args.expires)
    return PackageOptions(description=args.description, gender=args.gender, age=args.age, tags=tuple(args.tag),
                          sample_text=args.sample_text, licence=licence)


def cmd_export(args: argparse.Namespace) -> None:
    from vocalis.service import Vocalis

    path, package = Vocalis().package(args.voice, args.output, package_options(args))
    _show(package)
    print(f"wrote {path} ({package.size / 1024:.0f} KB), signed by this machine's creator key", file=sys.stderr)


def cmd_verify(args: argparse.Namespace) -> int:
    from vocalis.service.packaging import verify_package

    try:
        package = verify_package(args.file)
    except PackageTampered as e:
        print(f"invalid: {e}", file=sys.stderr)
        return 1
    except PackageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    _show(package)
    print("valid: every file matches the manifest and the creator's signature holds", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> None:
    from vocalis.service.packaging import import_package

    voice = import_package(args.file, args.name, overwrite=args.force)
    print(f"imported voice {voice.name!r} from package {voice.meta['package']['cid']}. It speaks once its "
          f"consent is on record here (`vocalis consent record {voice.name}`)", file=sys.stderr)


def _show(package: Package) -> None:
    listing, licence = package.listing, package.licence
    print(f"cid       {package.cid}\nvoice     {listing.name} ({', '.join(listing.languages)})"
          f"{' ' + listing.description if listing.description else ''}\ncreator   {package.creator}\n"
          f"consent   sha256 {package.consent_sha256}\nlicence   {licence.per_use} wei per use + "
          f"{licence.per_1k_chars} wei per 1,000 characters; uses: {', '.join(licence.uses)}"
          f"{'; expires ' + licence.expires if licence.expires else ''}")
    if package.grant:
        grant = package.grant
        until = f" until {grant.expires_at}" if grant.expires_at else ""
        print(f"licensed  to {grant.buyer} under licence {grant.licence_id} ({grant.kind}{until}), signed by the "
              f"platform {grant.platform}")


def add_listing_args(parser: argparse.ArgumentParser) -> None:
    """A voice's licence terms and listing, as `package export` and `market publish` take them."""
    from vocalis.market.licence import DEFAULT_USES, USES

    parser.add_argument("--per-use", type=int, default=0, metavar="WEI", help="price of one synthesis (default 0)")
    parser.add_argument("--per-1k-chars", type=int, default=0, metavar="WEI",
                        help="price per 1,000 characters spoken (default 0)")
    parser.add_argument("--subscription", type=int, metavar="WEI", help="price of 30 days of use (default: none)")
    parser.add_argument("--buyout", type=int, metavar="WEI", help="price of unlimited use (default: none)")
    parser.add_argument("--quota-chars", type=int, metavar="N", help="most characters one licence may speak")
    parser.add_argument("--uses", nargs="+", choices=USES, default=list(DEFAULT_USES),
                        help=f"allowed uses (default: {' '.join(DEFAULT_USES)})")
    parser.add_argument("--expires", metavar="YYYY-MM-DD", help="last day the voice may be licensed")
    parser.add_argument("--description", default="", help="what the voice is like (default: the voice's own)")
    parser.add_argument("--gender", default="", help="a hint for buyers: female, male, …")
    parser.add_argument("--age", default="", help="a hint for buyers: young, adult, senior, …")
    parser.add_argument("--tag", action="append", default=[], help="a search tag (repeatable)")
    parser.add_argument("--sample-text", help="what the sample says (default: a preview sentence)")


def add_package_commands(sub: argparse._SubParsersAction) -> None:
    package = sub.add_parser("package", help="voice packages (.vvp) for the market: export, verify, import",
                             description="A package holds a voice, its listing, a watermarked sample, its consent "
                                         "record's hash and its licence terms, signed with this machine's Ed25519 "
                                         "creator key; its identity is the IPFS CIDv1 of its bytes.")
    actions = package.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="package a cloned or trained voice whose owner consented")
    export.add_argument("voice", help="the library voice")
    export.add_argument("-o", "--output", metavar="FILE.vvp", help="where to write it (default VOICE.vvp)")
    add_listing_args(export)
    export.set_defaults(run=cmd_export)
    verify = actions.add_parser("verify", help="check a package: exit 0 valid, 1 tampered or bad signature, 2 error")
    verify.add_argument("file", help="the .vvp file")
    verify.set_defaults(run=cmd_verify)
    imported = actions.add_parser("import", help="add a package's voice to the library (checked first)")
    imported.add_argument("file", help="the .vvp file")
    imported.add_argument("-n", "--name", help="the name to save it under (default: the package's)")
    imported.add_argument("--force", action="store_true", help="replace a voice of the same name")
    imported.set_defaults(run=cmd_import)
