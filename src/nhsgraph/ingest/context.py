"""What every ingest module is handed: the builder and the registered sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nhsgraph.build import GraphBuilder
from nhsgraph.errors import DataError
from nhsgraph.ingest import readers


@dataclass
class SourceEntry:
    id: str
    file: str | None
    row: readers.Row


@dataclass
class Context:
    data_dir: Path
    builder: GraphBuilder
    registry: dict[str, SourceEntry] = field(default_factory=dict)
    #: Code maps that one module derives and later modules use, by name:
    #: "stp_ons_to_ods" (E54 code of an STP -> its ODS Q-code, every year),
    #: "ccg_ons_to_ods" (E38 code of a CCG -> its ODS code),
    #: "icb_ons_to_ods" (E54 code of an ICB -> its ODS code),
    #: "sub_icb_ons_to_ods" (E38 code of a sub-ICB location -> its ODS code),
    #: "region_ons_to_ods" (E40 code of an NHS England region -> its ODS Y-code).
    lookups: dict[str, dict[str, str]] = field(default_factory=dict)
    _cache: dict[tuple[str, tuple[tuple[str, str], ...]], list[readers.Row]] = field(
        default_factory=dict, repr=False)

    def path(self, source_id: str) -> Path:
        """The file of a registered source, checked to exist."""
        entry = self.registry.get(source_id)
        if entry is None:
            raise DataError(
                f"source {source_id!r} is not registered", path=str(self.data_dir / "sources"),
                hint="add a row for it to data/sources/files.csv",
            )
        if not entry.file:
            raise entry.row.error(f"source {source_id!r} has no file column")
        path = self.data_dir / entry.file
        if not path.is_file():
            raise entry.row.error(f"source {source_id!r}: file {entry.file} is missing")
        return path

    def display(self, source_id: str) -> str:
        return str(Path("data") / (self.registry[source_id].file or source_id))

    def rows(self, source_id: str, **kwargs: Any) -> list[readers.Row]:
        """The rows of a registered CSV source, read once per build (modules share them)."""
        key = (source_id, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        if key not in self._cache:
            self._cache[key] = readers.read_csv(self.path(source_id), display=self.display(source_id),
                                                **kwargs)
        return self._cache[key]

    def ods_rows(self, source_id: str) -> list[readers.Row]:
        """The rows of a registered ODS bulk file (27 columns, no header), read once per build."""
        return self.rows(source_id, header=readers.ODS_COLUMNS)

    def sheet(self, source_id: str, sheet: str) -> list[readers.Row]:
        return readers.read_xlsx_sheet(self.path(source_id), sheet, display=self.display(source_id))

    def json(self, source_id: str) -> Any:
        return readers.read_json(self.path(source_id), display=self.display(source_id))

    def chd(self, source_id: str) -> dict[str, list[dict[str, Any]]]:
        """The code versions of an ONS Code History Database file, by code, checked for shape."""
        data = self.json(source_id)
        areas = data.get("areas") if isinstance(data, dict) else None
        ok = isinstance(areas, dict) and all(
            isinstance(vs, list) and all(isinstance(v, dict) and isinstance(v.get("date"), dict)
                                         and "s" in v["date"] and "nm" in v for v in vs)
            for vs in areas.values())
        if not ok:
            raise DataError("not an ONS Code History Database file: expected "
                            '{"areas": {code: [{"date": {"s": ...}, "nm": ...}, ...]}}',
                            path=self.display(source_id))
        return areas

    def curated(self, name: str) -> list[readers.Row]:
        """A curated table under ``data/curated/`` (absent tables read as empty)."""
        path = self.data_dir / "curated" / name
        if not path.exists():
            return []
        return readers.read_csv(path, display=str(Path("data/curated") / name))
