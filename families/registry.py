"""Every family's root query fields; the API's root ``Query`` merges them (``graphql/api``).

A new family adds its module and one line here.
"""

from __future__ import annotations

from pulse.families.derivation import Derivation
from pulse.families.helpdesk.derived import HelpdeskMoments
from pulse.families.helpdesk.graphql import HelpdeskQueries

QUERIES: tuple[type, ...] = (HelpdeskQueries,)

# Every family's derived tables, refreshed by the sink after each batch and by ``pulse recalc``.
DERIVATIONS: tuple[Derivation, ...] = (HelpdeskMoments(),)
