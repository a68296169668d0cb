"""The Market tab: browse the listed voices with their samples and terms, license one and speak with it
(rendered here, charged per use), publish your own consenting voices, and follow your earnings over time.
The web UI is this machine's user's studio: its market account is the local user's, as on the command line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from vocalis.service.marketplace import Market
from vocalis.studio.webui.engine import Engine
from vocalis.studio.webui.feedback import shows_errors
from vocalis.studio.webui.history import history_dir
from vocalis.studio.webui.i18n import T, Translator, t

COLUMNS = ("market.col.cid", "market.col.name", "market.col.lang", "market.col.gender", "market.col.per_use",
           "market.col.per_1k", "market.col.tags")
KINDS = ("per_use", "subscription", "buyout")


@dataclass
class _Browse:
    query: gr.Textbox
    lang: gr.Dropdown
    search: gr.Button
    table: gr.Dataframe
    cid: gr.Textbox
    terms: gr.Markdown
    sample: gr.Audio
    kind: gr.Radio
    license: gr.Button
    licence: gr.Textbox


def build_market_tab(tr: Translator, engine: Engine, ui_lang: gr.Radio) -> gr.Dropdown:
    """Lays the tab out inside the current `gr.Tab`; returns its voice picker (refreshed with the library)."""
    tr.make(gr.Markdown, value=T("market.intro"))
    browse = _build_browse(tr)
    tr.make(gr.Markdown, value=T("market.speak"))
    with gr.Row():
        text = tr.make(gr.Textbox, label=T("market.text"), lines=2, elem_id="market-text", scale=3)
        speak = tr.make(gr.Button, value=T("market.speak_button"), variant="primary", elem_id="market-speak", scale=1)
    audio = tr.make(gr.Audio, label=T("market.audio"), interactive=False, elem_id="market-audio")
    tr.make(gr.Markdown, value=T("market.publish"))
    with gr.Row():
        voice = tr.make(gr.Dropdown, label=T("market.voice"), choices=[], elem_id="market-voice")
        per_use = tr.make(gr.Number, label=T("market.per_use"), value=1_000_000, precision=0, minimum=0,
                          elem_id="market-per-use")
        per_1k = tr.make(gr.Number, label=T("market.per_1k"), value=0, precision=0, minimum=0, elem_id="market-per-1k")
        tags = tr.make(gr.Textbox, label=T("market.tags"), elem_id="market-tags")
        publish = tr.make(gr.Button, value=T("market.publish_button"), elem_id="market-publish")
    published = gr.Markdown(elem_id="market-published")
    earnings = _build_earnings(tr, ui_lang)

    browse.search.click(_search, [browse.query, browse.lang, ui_lang], browse.table)
    browse.table.select(_pick, [browse.table, ui_lang], [browse.cid, browse.terms, browse.sample])
    browse.license.click(_license, [browse.cid, browse.kind, ui_lang], [browse.licence, browse.terms])
    speak.click(_speaker(engine), [browse.cid, browse.licence, text, ui_lang], audio, concurrency_id="engine") \
        .success(_books, ui_lang, earnings, show_progress="hidden")
    publish.click(_publisher(engine), [voice, per_use, per_1k, tags, ui_lang], published, concurrency_id="engine") \
        .success(_search, [browse.query, browse.lang, ui_lang], browse.table, show_progress="hidden")
    return voice


def _build_browse(tr: Translator) -> _Browse:
    tr.make(gr.Markdown, value=T("market.browse"))
    with gr.Row():
        query = tr.make(gr.Textbox, label=T("market.query"), elem_id="market-query", scale=3)
        lang = tr.make(gr.Dropdown, label=T("market.lang"), choices=["", "en", "zh"], value="", elem_id="market-lang")
        search = tr.make(gr.Button, value=T("market.search"), elem_id="market-search")
    table = tr.make(gr.Dataframe, label=T("market.voices"), interactive=False, wrap=True, elem_id="market-table",
                    headers=[t(k) for k in COLUMNS])
    with gr.Row():
        with gr.Column():
            cid = tr.make(gr.Textbox, label=T("market.cid"), interactive=False, elem_id="market-cid")
            terms = gr.Markdown(elem_id="market-terms")
        sample = tr.make(gr.Audio, label=T("market.sample"), interactive=False, elem_id="market-sample")
    with gr.Row():
        kind = tr.make(gr.Radio, label=T("market.kind"), value="per_use", elem_id="market-kind",
                       choices=[(T(f"market.kind.{k}"), k) for k in KINDS])
        license_ = tr.make(gr.Button, value=T("market.license"), elem_id="market-license")
        licence = tr.make(gr.Textbox, label=T("market.licence"), interactive=False, elem_id="market-licence")
    return _Browse(query, lang, search, table, cid, terms, sample, kind, license_, licence)


def _build_earnings(tr: Translator, ui_lang: gr.Radio) -> list[gr.components.Component]:
    tr.make(gr.Markdown, value=T("market.earnings"))
    summary = gr.Markdown(elem_id="market-books")
    plot = tr.make(gr.LinePlot, label=T("market.plot"), x="time", y="wei", elem_id="market-plot")
    with gr.Row():
        amount = tr.make(gr.Number, label=T("market.amount"), value=10_000_000, precision=0, minimum=1,
                         elem_id="market-amount")
        deposit = tr.make(gr.Button, value=T("market.deposit"), elem_id="market-deposit")
        withdraw = tr.make(gr.Button, value=T("market.withdraw"), elem_id="market-withdraw")
        refresh = tr.make(gr.Button, value=T("market.refresh"), elem_id="market-refresh")
    outputs = [summary, plot]
    deposit.click(shows_errors(lambda n: Market().deposit(int(n or 0)) and None), amount, None) \
        .success(_books, ui_lang, outputs, show_progress="hidden")
    withdraw.click(shows_errors(lambda: Market().withdraw() and None), None, None) \
        .success(_books, ui_lang, outputs, show_progress="hidden")
    refresh.click(_books, ui_lang, outputs, show_progress="hidden")
    return outputs


@shows_errors
def _search(query: str, lang: str, ui_lang: str) -> pd.DataFrame:
    found = Market.browse(language=lang or None, query=(query or "").strip() or None)
    rows = [(p.cid, p.listing.name, ", ".join(p.listing.languages), p.listing.gender, str(p.terms.per_use),
             str(p.terms.per_1k_chars), ", ".join(p.listing.tags)) for p in found]
    return pd.DataFrame(rows, columns=[t(k, ui_lang) for k in COLUMNS])


@shows_errors
def _pick(table: pd.DataFrame, ui_lang: str, evt: gr.SelectData) -> list[Any]:
    cid = str(table.iloc[evt.index[0], 0])
    item = Market.show(cid)
    folder = history_dir() / "market"  # the one folder the web UI serves files from (see app.launch)
    folder.mkdir(parents=True, exist_ok=True)
    sample = folder / f"{cid}.wav"
    sample.write_bytes(Market.sample(cid))
    return [cid, _terms(item), str(sample)]


def _terms(item: Any) -> str:
    terms, listing = item.terms, item.listing
    return (f"**{listing.name}** by {item.creator} · {listing.description}\n\n{' · '.join(terms.offers())}\n\n"
            f"uses: {', '.join(terms.uses)}" + (f" · licensable until {terms.expires}" if terms.expires else ""))


@shows_errors
def _license(cid: str, kind: str, ui_lang: str) -> list[str]:
    if not cid:
        raise gr.Error(t("market.need_cid", ui_lang))
    held = Market().license(cid, kind)
    name = Market.show(cid).listing.name
    return [held.id, t("market.licensed", ui_lang, id=held.id, kind=t(f"market.kind.{kind}", ui_lang), name=name)]


def _speaker(engine: Engine):
    @shows_errors
    def speak(cid: str, licence: str, text: str, ui_lang: str) -> tuple[int, Any]:
        from vocalis.service import SpeechRequest
        from vocalis.service.market import MarketUse

        if not cid or not licence:
            raise gr.Error(t("market.need_licence", ui_lang))
        request = SpeechRequest(text or "", voice=f"market:{cid}", market=MarketUse(licence))
        with engine.turn() as tts:
            audio = tts.render(request).audio
        return audio.sample_rate, audio.samples

    return speak


def _publisher(engine: Engine):
    @shows_errors
    def publish(voice: str | None, per_use: float, per_1k: float, tags: str, ui_lang: str) -> str:
        from vocalis.market.licence import LicenceTerms
        from vocalis.service.packaging import PackageOptions

        options = PackageOptions(tags=tuple(x.strip() for x in (tags or "").split(",") if x.strip()),
                                 licence=LicenceTerms(per_use=int(per_use or 0), per_1k_chars=int(per_1k or 0)))
        with engine.turn() as tts:
            item = Market().publish(tts, voice or "", options)
        return t("market.published", ui_lang, name=item.listing.name, cid=item.cid)

    return publish


@shows_errors
def _books(ui_lang: str) -> list[Any]:
    books = Market().earnings()
    running, points = 0, []
    for entry in books.entries:  # what the account earned as a creator: uses and licences others paid for
        if entry.kind in ("use", "licence") and entry.account != books.account:
            running += sum(d for who, d in entry.moves if who == books.account)
            points.append((pd.Timestamp(entry.time), running))
    summary = t("market.books", ui_lang, account=books.account, balance=books.balance, earned=books.earned,
                spent=books.spent)
    return [summary, pd.DataFrame(points, columns=["time", "wei"])]
