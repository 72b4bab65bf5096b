"""Practice mechanisms (procedure.md §8): reception rules, 包案, 积案, screening, 稳评.

Plain Python, no Django. Everything here is configuration with defaults and a source and
certainty mark per default (procedure.md §0), so the admin UI can show where a rule comes
from before anyone relies on it:

- leaders' reception frequency per tier, the county's daily duty rota, the principal leader's
  Monday morning and an optional fixed monthly reception day (§8.1; 条例 §18 ¶2 sets no
  frequency);
- the schedule proposal and the compliance computation ("who is behind");
- 四定四包 for 包案 (§8.2) and the backlog (积案) criteria, closure criteria and ranking;
- the screening cadence of the dispute ledger (§8.9);
- 稳评 grades and decisions (§8.8) and the three kinds of mediation (§37 ¶1).

The package is split by mechanism (``reception``, ``cases``, ``prevention``); every public
name is re-exported here, so ``from xinfang.domain import practice as pr`` keeps working.
"""

from __future__ import annotations

from .cases import *  # noqa: F403
from .prevention import *  # noqa: F403
from .reception import *  # noqa: F403
