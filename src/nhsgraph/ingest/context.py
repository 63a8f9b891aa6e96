"""What every ingest step is handed: the builder, the registered sources, the products.

A :class:`Context` runs the steps of :mod:`nhsgraph.ingest.contract` and
holds what they hand each other. It enforces each step's declaration: a step
may read (:meth:`Context.get`, :meth:`Context.lifetime`) only the products it
declares it needs or provides, may publish (:meth:`Context.put`) only what it
declares it provides, and must have provided all of it when it ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from nhsgraph.build import GraphBuilder
from nhsgraph.errors import BuildError, DataError
from nhsgraph.ingest import chd, ods, readers
from nhsgraph.ingest.contract import Product, Step
from nhsgraph.ingest.products import ORGANISATIONS
from nhsgraph.temporal import Interval

T = TypeVar("T")


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
    _products: dict[Product[Any], Any] = field(default_factory=dict, repr=False)
    _step: Step | None = field(default=None, repr=False)
    _cache: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = field(
        default_factory=dict, repr=False)

    # -- running steps ---------------------------------------------------------------
    def run(self, step: Step) -> None:
        """Run one step, checking its needs before and its provisions after.

        Raises:
            BuildError: a need is not available yet, or the step did not
                provide what it declares.
        """
        missing = [p.name for p in step.needs if p not in self._products]
        if missing:
            raise BuildError(f"ingest step {step.name} needs {', '.join(missing)}, "
                             "which no earlier step provided")
        self._step = step
        try:
            step.run(self)
        finally:
            self._step = None
        for product in step.provides:
            if product in self._products:
                continue
            if product in ORGANISATIONS.values():
                self._products[product] = None  # the organisations (if any) are in the builder
            else:
                raise BuildError(f"ingest step {step.name} declares that it provides "
                                 f"{product.name} but did not put it")

    def supply(self, product: Product[T], value: T) -> None:
        """Make a product available outside any step (a stand-in, for tests)."""
        self._products[product] = value

    def _declared(self, product: Product[Any], *, provide: bool = False) -> Step:
        step = self._step
        if step is None:
            raise BuildError(f"{product.name} used outside an ingest step",
                             hint="run the step with Context.run")
        allowed = step.provides if provide else step.provides + step.needs
        if product not in allowed:
            verb = "provides" if provide else "uses"
            raise BuildError(f"ingest step {step.name} {verb} {product.name} without declaring it",
                             hint=f"add it to the {'provides' if provide else 'needs'} of its Step")
        return step

    def put(self, product: Product[T], value: T) -> None:
        """Publish a product of the running step (once)."""
        step = self._declared(product, provide=True)
        if product in self._products:
            raise BuildError(f"ingest step {step.name} puts {product.name} twice")
        self._products[product] = value

    def get(self, product: Product[T]) -> T:
        """A product the running step declared it needs (or provides, once put)."""
        step = self._declared(product)
        if product not in self._products:
            raise BuildError(f"ingest step {step.name} reads {product.name} before it exists")
        return self._products[product]

    def lifetime(self, kind: str, code: str) -> Interval | None:
        """The lifetime of an organisation of ``kind`` (None if it is not defined).

        The running step must declare ``ORGANISATIONS[kind]`` (a need, so that
        it runs after the organisations are defined, or a provision).
        """
        self._declared(ORGANISATIONS[kind])
        return self.builder.lifetime(kind, code)

    def name(self, kind: str, code: str) -> str | None:
        """The latest name of an organisation of ``kind`` (the step must declare the kind)."""
        self._declared(ORGANISATIONS[kind])
        return self.builder.name(kind, code)

    # -- reading sources -------------------------------------------------------------
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
        """The rows of a registered CSV source, read once per build (steps share them)."""
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

    def chd(self, source_id: str) -> dict[str, tuple[chd.Version, ...]]:
        """The code versions of an ONS Code History Database file, by code, read once per build."""
        key = (source_id, (("chd", ""),))
        if key not in self._cache:
            self._cache[key] = chd.versions(self.json(source_id), where=self.display(source_id))
        return self._cache[key]

    def successions(self, source_id: str) -> list[ods.Succession]:
        """The rows of a registered ODS successor file, read once per build."""
        key = (source_id, (("succ", ""),))
        if key not in self._cache:
            self._cache[key] = ods.successions(self.rows(source_id, header=ods.SUCC_COLUMNS))
        return self._cache[key]

    def curated(self, name: str) -> list[readers.Row]:
        """A curated table under ``data/curated/`` (absent tables read as empty)."""
        path = self.data_dir / "curated" / name
        if not path.exists():
            return []
        return readers.read_csv(path, display=str(Path("data/curated") / name))
