"""How a batch's keys of many tenants are packed into shared refresh statements."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pulse.families.derivation import (
    TENANTS_PER_STATEMENT,
    tenants_chunks,
    tenants_params,
    tenants_scope,
)

KEYS = st.sets(
    st.tuples(st.sampled_from([f"t{i}" for i in range(40)]), st.text(min_size=1, max_size=4)),
    max_size=300,
)


@given(KEYS, st.integers(min_value=1, max_value=50))
def test_chunks_hold_every_key_once_within_both_bounds(
    keys: set[tuple[str, str]], size: int
) -> None:
    """Every key lands in exactly one chunk; a chunk holds at most `size` ids and
    TENANTS_PER_STATEMENT tenants."""
    chunks = list(tenants_chunks(keys, size))
    packed = [(tenant, i) for chunk in chunks for tenant, ids in chunk.items() for i in ids]
    assert sorted(packed) == sorted(keys)
    for chunk in chunks:
        assert 0 < sum(map(len, chunk.values())) <= size
        assert 0 < len(chunk) <= TENANTS_PER_STATEMENT


def test_the_scope_names_each_tenant_with_its_own_ids() -> None:
    """Tenant t's clause pairs its tenant parameter with its ids parameter, never another's."""
    chunk = {"acme": ["a", "b"], "globex": ["a"]}
    assert tenants_scope("conversation_id", 2) == (
        "(tenant_id = {tenant0:String} AND conversation_id IN {ids0:Array(String)})"
        " OR (tenant_id = {tenant1:String} AND conversation_id IN {ids1:Array(String)})"
    )
    assert tenants_params(chunk) == {
        "tenant0": "acme",
        "ids0": ["a", "b"],
        "tenant1": "globex",
        "ids1": ["a"],
    }
