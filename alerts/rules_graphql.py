"""The alert rules' GraphQL fields: the query ``alertRules`` and the mutations that change them.

Every field is scoped to the token's tenant (``scoped_tenant``: an explicit other ``tenantId`` is
FORBIDDEN); a rule of another tenant reads as unknown. A token confined to org units
(``pulse.graphql.permissions``) sees and changes only the rules whose ``filter.orgUnit`` is one
of its units: another rule reads as unknown, and a definition outside them is FORBIDDEN. An
invalid rule is answered as INVALID_ARGUMENT naming the input field, never masked. Kafka round
trips (publish, ack, read back) run in the thread pool.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.alerts.errors import RuleError
from pulse.alerts.history import last_fired
from pulse.alerts.rule_book import RuleBook
from pulse.alerts.rules import AlertRule, Status
from pulse.alerts.rules_graphql_types import (
    AlertRuleInput,
    AlertRuleStatus,
    AlertRuleView,
    rule_fields,
    view,
)
from pulse.families.questions import TenantId
from pulse.graphql.books import ServedBook
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import ForbiddenError
from pulse.graphql.permissions import CanManage, CanViewInScope, may_see

RuleId = Annotated[strawberry.ID, strawberry.argument(description="The rule's id.")]
RULES = ServedBook[RuleBook](
    records="alert rules",
    record="alert rule",
    book=lambda services: services.alert_rules,
    invalid=RuleError,
    renamed={"rule_id": "id"},
)


async def _views(info: Info[ApiContext, None], rules: list[AlertRule]) -> list[AlertRuleView]:
    """The rules (one tenant's) as answered, with when each last fired: one read for them all."""
    if not rules:
        return []
    fired = await run_in_threadpool(
        last_fired,
        info.context.services.clickhouse,
        rules[0].tenant_id,
        [r.rule_id for r in rules],
    )
    return [view(r, fired.get(r.rule_id)) for r in rules]


async def _view(info: Info[ApiContext, None], rule: AlertRule) -> AlertRuleView:
    return (await _views(info, [rule]))[0]


def _owned(info: Info[ApiContext, None], book: RuleBook, tenant: str, rule_id: str) -> AlertRule:
    """The tenant's rule, if the token's org units cover it; else unknown, as another tenant's."""
    rule = book.get(tenant, rule_id)
    if not may_see(info.context.claims, rule.filter.org_unit):
        raise RuleError("rule_id", f"tenant {tenant!r} has no rule {rule_id!r}")
    return rule


def _definable(info: Info[ApiContext, None], given: AlertRuleInput) -> dict[str, Any]:
    """The input's fields, if the token's org units cover the rule's ``filter.orgUnit``."""
    fields = rule_fields(given)
    org_unit = fields["filter"].org_unit
    if not may_see(info.context.claims, org_unit):
        raise ForbiddenError(
            "This token may define rules only for its org units"
            + ("" if org_unit is None else f", not '{org_unit}'")
            + ".",
            suggestion="Set filter.orgUnit to one of the token's org units.",
            field="filter.orgUnit",
        )
    return fields


async def alert_rules(
    info: Info[ApiContext, None],
    status: Annotated[
        AlertRuleStatus | None, strawberry.argument(description="Only rules in this status.")
    ] = None,
    tenant_id: TenantId = None,
) -> list[AlertRuleView]:
    wanted: Status | None = None if status is None else status.value

    claims = info.context.claims

    def listing(book: RuleBook, tenant: str) -> list[AlertRule]:
        return [r for r in book.of_tenant(tenant, wanted) if may_see(claims, r.filter.org_unit)]

    return await _views(info, await RULES.run(info, tenant_id, listing))


async def create_alert_rule(info: Info[ApiContext, None], input: AlertRuleInput) -> AlertRuleView:
    fields = _definable(info, input)

    def create(book: RuleBook, tenant: str) -> AlertRule:
        return book.create(tenant, fields, created_by=f"api:{tenant}")

    return await _view(info, await RULES.run(info, input.tenant_id, create))


async def update_alert_rule(
    info: Info[ApiContext, None], id: RuleId, input: AlertRuleInput
) -> AlertRuleView:
    fields = _definable(info, input)

    def update(book: RuleBook, tenant: str) -> AlertRule:
        _owned(info, book, tenant, str(id))
        return book.update(tenant, str(id), fields)

    return await _view(info, await RULES.run(info, input.tenant_id, update))


async def pause_alert_rule(
    info: Info[ApiContext, None], id: RuleId, tenant_id: TenantId = None
) -> AlertRuleView:
    def pause(book: RuleBook, tenant: str) -> AlertRule:
        _owned(info, book, tenant, str(id))
        return book.set_status(tenant, str(id), "paused")

    return await _view(info, await RULES.run(info, tenant_id, pause))


async def resume_alert_rule(
    info: Info[ApiContext, None], id: RuleId, tenant_id: TenantId = None
) -> AlertRuleView:
    def resume(book: RuleBook, tenant: str) -> AlertRule:
        _owned(info, book, tenant, str(id))
        return book.set_status(tenant, str(id), "active")

    return await _view(info, await RULES.run(info, tenant_id, resume))


async def delete_alert_rule(
    info: Info[ApiContext, None], id: RuleId, tenant_id: TenantId = None
) -> AlertRuleView:
    def delete(book: RuleBook, tenant: str) -> AlertRule:
        _owned(info, book, tenant, str(id))
        return book.delete(tenant, str(id))

    return await _view(info, await RULES.run(info, tenant_id, delete))


@strawberry.type
class AlertRuleQueries:
    alert_rules: list[AlertRuleView] = strawberry.field(
        resolver=alert_rules,
        permission_classes=[CanViewInScope],
        description="The tenant's alert rules, oldest first, with when each last fired.",
    )


@strawberry.type
class AlertRuleMutations:
    create_alert_rule: AlertRuleView = strawberry.mutation(
        resolver=create_alert_rule,
        permission_classes=[CanManage],
        description="Creates an active rule; every field is validated, destinations included.",
    )
    update_alert_rule: AlertRuleView = strawberry.mutation(
        resolver=update_alert_rule,
        permission_classes=[CanManage],
        description="Replaces a rule's definition; its id, status and creation stay.",
    )
    pause_alert_rule: AlertRuleView = strawberry.mutation(
        resolver=pause_alert_rule,
        permission_classes=[CanManage],
        description="Stops evaluating a rule.",
    )
    resume_alert_rule: AlertRuleView = strawberry.mutation(
        resolver=resume_alert_rule,
        permission_classes=[CanManage],
        description="Evaluates a paused rule again.",
    )
    delete_alert_rule: AlertRuleView = strawberry.mutation(
        resolver=delete_alert_rule,
        permission_classes=[CanManage],
        description="Deletes a rule; answers it as it was.",
    )
