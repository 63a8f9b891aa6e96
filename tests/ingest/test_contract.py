"""The ingest contract: the order is computed from the declarations and checked while running."""

from __future__ import annotations

import pytest

from nhsgraph import resources
from nhsgraph.build import GraphBuilder
from nhsgraph.errors import BuildError
from nhsgraph.ingest import STEPS
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Product, Step, plan
from nhsgraph.ingest.products import BUILD_OUTPUTS, ORGANISATIONS

A: Product[int] = Product("product A")
B: Product[int] = Product("product B")


def noop(ctx: Context) -> None:
    pass


def step(name: str, provides=(), needs=(), run=noop) -> Step:
    return Step(name, run, provides=tuple(provides), needs=tuple(needs))


def test_plan_puts_each_step_after_the_providers_of_its_needs():
    steps = [step("c", needs=[B]), step("b", provides=[B], needs=[A]), step("a", provides=[A])]
    assert [s.name for s in plan(steps)] == ["a", "b", "c"]


def test_plan_keeps_the_given_order_among_steps_ready_together():
    steps = [step("x"), step("y"), step("z")]
    assert [s.name for s in plan(steps)] == ["x", "y", "z"]


@pytest.mark.parametrize("steps, message", [
    ([step("a", provides=[A]), step("b", provides=[A])], "provided by two ingest steps: a and b"),
    ([step("a", needs=[A])], "a needs product A, which no step provides"),
    ([step("a", provides=[A], needs=[B]), step("b", provides=[B], needs=[A])], "a cycle"),
])
def test_plan_refuses_a_contract_that_cannot_run(steps, message):
    with pytest.raises(BuildError, match=message):
        plan(steps)


def test_the_shipped_steps_form_a_plan_and_every_product_is_used_or_organisations():
    ordered = plan(STEPS)
    assert len(ordered) == len(STEPS) >= 12
    names = [s.name for s in ordered]
    assert names[0] == "sources"
    needed = {p for s in STEPS for p in s.needs}
    for s in STEPS:
        for p in s.provides:
            # a code map nobody reads would be dead code; organisation products
            # are there for whoever clips to their lifetimes later
            assert p in needed or p in ORGANISATIONS.values() or p in BUILD_OUTPUTS, (s.name, p.name)


def test_the_plan_does_not_depend_on_the_order_the_steps_are_listed_in():
    def graph(steps):
        ctx = Context(data_dir=resources.folder("data"), builder=GraphBuilder())
        for s in plan(steps):
            ctx.run(s)
        return ctx.builder.finish()

    assert graph(STEPS) == graph(tuple(reversed(STEPS)))


def run_one(s: Step, *, supplied=()) -> Context:
    ctx = Context(data_dir=resources.folder("data"), builder=GraphBuilder())
    for product in supplied:
        ctx.supply(product, 1)
    ctx.run(s)
    return ctx


def test_a_step_may_not_read_what_it_did_not_declare():
    with pytest.raises(BuildError, match="uses product A without declaring it"):
        run_one(step("x", run=lambda ctx: ctx.get(A)), supplied=[A])


def test_a_step_may_not_read_lifetimes_of_a_kind_it_did_not_declare():
    with pytest.raises(BuildError, match="uses the ccg organisations without declaring it"):
        run_one(step("x", run=lambda ctx: ctx.lifetime("ccg", "00K")))


def test_a_step_may_not_put_what_it_does_not_provide_or_put_twice():
    with pytest.raises(BuildError, match="provides product A without declaring it"):
        run_one(step("x", run=lambda ctx: ctx.put(A, 1)))

    def twice(ctx: Context) -> None:
        ctx.put(A, 1)
        ctx.put(A, 2)

    with pytest.raises(BuildError, match="puts product A twice"):
        run_one(step("x", provides=[A], run=twice))


def test_a_step_must_provide_what_it_declares():
    with pytest.raises(BuildError, match="declares that it provides product A but did not put it"):
        run_one(step("x", provides=[A]))


def test_a_step_cannot_run_before_its_needs_exist():
    with pytest.raises(BuildError, match="x needs product A, which no earlier step provided"):
        run_one(step("x", needs=[A]))


def test_a_declared_product_reaches_the_step_that_needs_it():
    seen = []
    ctx = Context(data_dir=resources.folder("data"), builder=GraphBuilder())
    ctx.run(step("a", provides=[A], run=lambda c: c.put(A, 42)))
    ctx.run(step("b", needs=[A], run=lambda c: seen.append(c.get(A))))
    assert seen == [42]
    with pytest.raises(BuildError, match="outside an ingest step"):
        ctx.get(A)
