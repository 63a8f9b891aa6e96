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
        return readers.read_csv(self.path(source_id), display=self.display(source_id), **kwargs)

    def ods_rows(self, source_id: str) -> list[readers.Row]:
        return readers.read_ods(self.path(source_id), display=self.display(source_id))

    def json(self, source_id: str) -> Any:
        return readers.read_json(self.path(source_id), display=self.display(source_id))

    def curated(self, name: str) -> list[readers.Row]:
        """A curated table under ``data/curated/`` (absent tables read as empty)."""
        path = self.data_dir / "curated" / name
        if not path.exists():
            return []
        return readers.read_csv(path, display=str(Path("data/curated") / name))
