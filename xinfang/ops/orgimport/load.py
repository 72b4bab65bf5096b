"""Write a checked plan: one transaction, one ``Model.save`` and one audit row per record that
changes, nothing for a record that is already as the file says (so a re-run is a no-op).

Bodies and divisions are saved with ``save()``, never ``update()``/``bulk_create``: their
``post_save`` receivers (``org.scope``) bump the scope version after commit exactly as an admin
edit does, and every process drops what it derived from the old tree. A user's scope is
read from their role and unit on each request (both are in every cache key), so a moved
account sees its new unit's matters, and no longer the old unit's, at its next request.
Nothing is deleted: records the database has and the file does not are listed for the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from xinfang.audit import services as audit
from xinfang.audit.admin_base import diff, object_type, snapshot
from xinfang.domain.states import Role
from xinfang.org.models import Body, Category, Division, RoutingRule, User

from .check import Item, Plan
from .sheets import BODIES, CATEGORIES, DIVISIONS, RULES, STAFF


@dataclass
class Tally:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    not_in_file: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    tallies: dict[str, Tally] = field(default_factory=dict)
    staff: list[User] = field(default_factory=list)  # the file's accounts, as saved

    @property
    def writes(self) -> int:
        return sum(t.added + t.changed for t in self.tallies.values())


class _Rollback(Exception):
    pass


class Loader:
    def __init__(self, plan: Plan, actor: User | None) -> None:
        self.plan, self.actor = plan, actor
        self.label = f"import-org {plan.filename}"
        self.out = Outcome()

    def _save(self, sheet: str, obj: models.Model, old: dict[str, Any] | None,
              item: Item, m2m: dict[str, tuple[list[Any], list[Any]]] | None = None) -> bool:
        """Save ``obj`` when it is new or differs from ``old``; one audit row. True if written."""
        tally = self.out.tallies.setdefault(sheet, Tally())
        m2m = m2m or {}
        new_values = {**snapshot(obj), **{k: v[1] for k, v in m2m.items()}}
        old_values = None if old is None else {**old, **{k: v[0] for k, v in m2m.items()}}
        fields = diff(type(obj), old_values, new_values)
        if old is not None and not fields:
            tally.unchanged += 1
            return False
        obj.save()
        audit.record("org_import_change" if old is not None else "org_import_add",
                     actor=self.actor, actor_label="" if self.actor else self.label,
                     object_type=object_type(obj), object_id=obj.pk,
                     data={"object": str(obj)[:100], "fields": fields,
                           "file": self.plan.filename, "sheet": sheet, "line": item.line})
        if old is None:
            tally.added += 1
        else:
            tally.changed += 1
        return True

    # ------------------------------------------------------------------ sheets

    def divisions(self) -> None:
        stored = Division.objects.in_bulk([i.key for i in self.plan.divisions])
        for item in self.plan.divisions:
            obj = stored.get(item.key)
            old = snapshot(obj) if obj is not None else None
            if obj is None:
                obj = Division(code=item.key)
            obj.name, obj.level = item.values["name"], item.values["level"]
            if "parent" in item.values:
                obj.parent_id = item.values["parent"]
            self._save(DIVISIONS, obj, old, item)
        self._not_in_file(DIVISIONS, Division.objects.values_list("code", flat=True),
                          {i.key for i in self.plan.divisions})

    def categories(self) -> None:
        stored = {c.code: c for c in Category.objects.all()}
        for item in self.plan.categories:
            obj = stored.get(item.key)
            old = snapshot(obj) if obj is not None else None
            if obj is None:
                obj = Category(code=item.key)
            obj.name = item.values["name"]
            if "parent" in item.values:
                parent = item.values["parent"]
                obj.parent = stored[parent] if parent else None
            self._save(CATEGORIES, obj, old, item)  # a moved category carries its subtree
            stored[item.key] = obj
        self._not_in_file(CATEGORIES, stored, {i.key for i in self.plan.categories})

    def bodies(self) -> None:
        by_name = {b.name: b for b in Body.objects.all()}
        cats = dict(Category.objects.values_list("code", "pk"))
        competent: dict[int, list[int]] = {}
        for body_id, category_id in Body.categories.through.objects.values_list(
                "body_id", "category_id"):
            competent.setdefault(body_id, []).append(category_id)
        for item in self.plan.bodies:
            obj = by_name.get(item.former or item.key)
            old = snapshot(obj) if obj is not None else None
            if obj is None:
                obj = Body()
            v = item.values
            obj.name, obj.kind, obj.division_id = item.key, v["kind"], v["division"]
            if "parent" in v:
                obj.parent = by_name[v["parent"]] if v["parent"] else None
            for attr in ("short_name", "doc_prefix", "address", "phone", "reception_hours",
                         "active"):
                if attr in v:
                    setattr(obj, attr, v[attr])
            m2m = {}
            if "categories" in v:
                before = sorted(competent.get(obj.pk, [])) if obj.pk else []
                after = sorted(cats[c] for c in v["categories"])
                if before != after:
                    m2m["categories"] = (before, after)
            self._save(BODIES, obj, old, item, m2m)
            if "categories" in m2m:
                obj.categories.set(m2m["categories"][1])
            if item.former:
                by_name.pop(item.former, None)
            by_name[item.key] = obj
        self._not_in_file(BODIES, by_name, {i.key for i in self.plan.bodies})

    def rules(self) -> None:
        cats = dict(Category.objects.values_list("code", "pk"))
        bodies = dict(Body.objects.values_list("name", "pk"))
        stored = {(r.category_id, r.division_id, r.body_id): r for r in RoutingRule.objects.all()}
        keys = set()
        for item in self.plan.rules:
            v = item.values
            key = (cats[v["category"]], v["division"], bodies[v["body"]])
            keys.add(key)
            obj = stored.get(key)
            old = snapshot(obj) if obj is not None else None
            if obj is None:
                obj = RoutingRule(category_id=key[0], division_id=key[1], body_id=key[2])
            if "priority" in v:
                obj.priority = v["priority"]
            if "note" in v:
                obj.note = v["note"]
            self._save(RULES, obj, old, item)
        self._not_in_file(RULES, [str(r) for k, r in stored.items() if k not in keys], set())

    def staff(self) -> None:
        bodies = dict(Body.objects.values_list("name", "pk"))
        stored = User.objects.in_bulk([i.key for i in self.plan.staff], field_name="username")
        for item in self.plan.staff:
            obj = stored.get(item.key)
            old = snapshot(obj) if obj is not None else None
            if obj is None:
                obj = User(username=item.key)
                obj.set_unusable_password()  # the first one is set by its owner (links.py)
            v = item.values
            obj.display_name, obj.role, obj.body_id = v["display_name"], v["role"], bodies[v["body"]]
            # As the demo and `createsuperuser`: the administrator role runs /admin/.
            admin = v["role"] == Role.ADMIN.value
            obj.is_staff = obj.is_superuser = admin
            for attr in ("title", "phone", "email", "is_active"):
                if attr in v:
                    setattr(obj, attr, v[attr])
            self._save(STAFF, obj, old, item)
            self.out.staff.append(obj)
        self._not_in_file(STAFF, User.objects.values_list("username", flat=True),
                          {i.key for i in self.plan.staff})

    def _not_in_file(self, sheet: str, stored: Any, in_file: set[str]) -> None:
        tally = self.out.tallies.setdefault(sheet, Tally())
        tally.not_in_file = sorted(str(k) for k in stored if str(k) not in in_file)


def load(plan: Plan, *, actor: User | None = None, dry_run: bool = False) -> Outcome:
    """Write ``plan`` (checked, without problems) in one transaction; ``dry_run`` rolls it
    back after counting what would change."""
    loader = Loader(plan, actor)
    steps = ((DIVISIONS, loader.divisions), (CATEGORIES, loader.categories),
             (BODIES, loader.bodies), (RULES, loader.rules), (STAFF, loader.staff))
    try:
        with transaction.atomic():
            for sheet, step in steps:
                if sheet in plan.sheets:
                    step()
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return loader.out
