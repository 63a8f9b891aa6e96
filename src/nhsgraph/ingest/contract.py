"""The contract between ingest steps: what each one provides and needs.

Each ingest module declares one :class:`Step`: the function that runs it,
the :class:`Product` values it provides (a code map, or the organisations
of a kind, whose lifetimes later steps clip their facts to) and those it
needs. :func:`plan` computes the order from the declarations, and
:class:`~nhsgraph.ingest.context.Context` checks them while the steps run:
a step that reads a product it did not declare, or that ends without
providing what it promised, stops the build with a message naming both.
A new layer is then a new module with its declaration, not a hunt for the
place in a list where it happens to work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from nhsgraph.errors import BuildError

if TYPE_CHECKING:
    from nhsgraph.ingest.context import Context

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Product(Generic[T]):
    """Something one ingest step makes and others use; compared by identity."""

    name: str

    def __repr__(self) -> str:
        return f"Product({self.name!r})"


@dataclass(frozen=True)
class Step:
    """One ingest module: its name, its function, and its declared products."""

    name: str
    run: Callable[[Context], None]
    provides: tuple[Product, ...] = ()
    needs: tuple[Product, ...] = ()


def plan(steps: Sequence[Step]) -> list[Step]:
    """The steps in an order where each runs after the steps that provide what it needs.

    Among steps that are ready together, the order given is kept, so the plan
    is the same on every run.

    Raises:
        BuildError: a product is provided by two steps, needed but provided by
            none, or the needs form a cycle.
    """
    provider: dict[Product, Step] = {}
    for step in steps:
        for product in step.provides:
            if product in provider:
                raise BuildError(f"{product.name} is provided by two ingest steps: "
                                 f"{provider[product].name} and {step.name}")
            provider[product] = step
    for step in steps:
        for product in step.needs:
            if product not in provider:
                raise BuildError(f"ingest step {step.name} needs {product.name}, "
                                 "which no step provides")
    done: set[str] = set()
    ordered: list[Step] = []
    waiting = list(steps)
    while waiting:
        ready = [s for s in waiting
                 if all(provider[p].name in done or provider[p] is s for p in s.needs)]
        if not ready:
            names = ", ".join(s.name for s in waiting)
            raise BuildError(f"the ingest steps {names} need each other's products (a cycle)")
        step = ready[0]
        ordered.append(step)
        done.add(step.name)
        waiting.remove(step)
    return ordered


def needed_by(steps: Sequence[Step], target: Step) -> list[Step]:
    """The planned steps ``target`` needs, directly or not, and ``target`` itself, in order.

    For running one step with what it depends on, and no more (a test of one step).
    """
    provider = {p: s for s in steps for p in s.provides}
    wanted: set[str] = set()
    todo = [target]
    while todo:
        step = todo.pop()
        if step.name in wanted:
            continue
        wanted.add(step.name)
        todo.extend(provider[p] for p in step.needs if p in provider)
    return [s for s in plan(steps) if s.name in wanted]
