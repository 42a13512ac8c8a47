"""A compacted-topic book (alert rules, dashboards) served from GraphQL resolvers, one way.

A resolver's work on the book runs scoped to the token's tenant (an explicit other ``tenantId``
is FORBIDDEN) and in the thread pool, since each change is a Kafka round trip (publish, ack, read
back). An API started without the book's topic answers UNAVAILABLE; a record or request the book
refuses is INVALID_ARGUMENT naming the input field as the API spells it, never masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.errors import InvalidFieldError
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext, Services
from pulse.graphql.errors import InvalidArgumentError, UnavailableError

B = TypeVar("B")
T = TypeVar("T")


@dataclass(frozen=True)
class ServedBook(Generic[B]):
    """How one book answers in the API."""

    records: str  # "alert rules": what an API without the book says it does not serve
    record: str  # "alert rule": what an INVALID_ARGUMENT says is invalid
    book: Callable[[Services], B | None]
    invalid: type[InvalidFieldError]
    # Model field names the API spells otherwise than in camelCase, e.g. rule_id → id.
    renamed: Mapping[str, str] = field(default_factory=dict)

    async def run(
        self, info: Info[ApiContext, None], requested: str | None, act: Callable[[B, str], T]
    ) -> T:
        """``act(book, tenant)`` in the thread pool, the book's refusal an INVALID_ARGUMENT."""
        tenant = scoped_tenant(info.context.claims, requested)
        book = self.book(info.context.services)
        if book is None:
            raise UnavailableError(
                f"This API does not serve {self.records}.",
                suggestion="Ask the operator to run `pulse topics apply` and restart the API.",
            )
        try:
            return await run_in_threadpool(act, book, tenant)
        except self.invalid as exc:
            raise self.argument_error(exc) from exc

    def argument_error(self, exc: InvalidFieldError) -> InvalidArgumentError:
        name = self.api_field(exc.field)
        return InvalidArgumentError(
            f"Invalid {self.record}: {name}: {exc.reason}",
            suggestion=f"Fix '{name}' and retry.",
            field=name,
        )

    def api_field(self, name: str) -> str:
        """The model's field name as the API spells it: ``filter.org_unit`` → ``filter.orgUnit``."""
        name = self.renamed.get(name, name)
        return ".".join(
            re.sub(r"_([a-z])", lambda m: m[1].upper(), part) for part in name.split(".")
        )
