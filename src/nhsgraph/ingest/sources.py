"""Describe every registered source (``data/sources/*.csv``) in the graph.

``files.csv`` lists the raw files under ``data/raw/`` with their sha256;
other tables (``documents*.csv``) list the cited documents of the curated
facts. Each row becomes an ``nhs:Source`` with title, publisher, issue date,
licence and URL. A raw file whose bytes no longer match its recorded sha256
is refused, so a refresh cannot go unrecorded.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

from nhsgraph.ingest.context import Context, SourceEntry
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.products import SOURCES
from nhsgraph.ingest.readers import read_csv

OGL = "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
COLUMNS = ("id", "title", "publisher", "issued", "url", "licence")


def ingest(ctx: Context) -> None:
    """Register and describe every source of ``data/sources/*.csv``."""
    tables = sorted((ctx.data_dir / "sources").glob("*.csv"))
    for table in tables:
        for row in read_csv(table, display=f"data/sources/{table.name}"):
            for column in COLUMNS:
                row.get(column)  # presence checked below through row[...]
            source_id = row["id"]
            if not source_id:
                raise row.error("empty id")
            if source_id in ctx.registry:
                raise row.error(f"source id {source_id!r} is registered twice")
            file = row.get("file") or None
            ctx.registry[source_id] = SourceEntry(source_id, file, row)
            sha = row.get("sha256") or None
            if file and sha:
                actual = hashlib.sha256(ctx.path(source_id).read_bytes()).hexdigest()
                if actual != sha:
                    raise row.error(
                        f"data/{file} does not match its recorded sha256",
                        hint="a refreshed file needs its row in data/sources/files.csv "
                        "updated (sha256, title, issued)",
                    )
            url = row["url"]
            if url and not _URL.match(url):
                raise row.error(f"url {url!r} is not an absolute http(s) IRI",
                                hint="percent-encode spaces and other reserved characters")
            issued = row.date("issued")
            licence = row["licence"]
            ctx.builder.add_source(
                source_id,
                title=row["title"],
                publisher=row["publisher"],
                issued=issued if isinstance(issued, date) else None,
                licence=_licence(licence),
                url=url or None,
                file=f"data/{file}" if file else None,
                sha256=sha,
                note=row.get("note") or None,
            )
    ctx.put(SOURCES, None)


STEP = Step("sources", ingest, provides=(SOURCES,))


def _licence(text: str) -> str | None:
    if not text:
        return None
    return OGL if "Open Government Licence v3" in text else text
