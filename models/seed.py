"""Copy the config's category lists into the `categories` table, keeping admins' edits.

Upsert by (list, code): new codes are inserted (active, ordered as in the file);
labels, glosses, parents and flags of known codes follow the file; is_active and
sort_order are the administrators' and are never touched again; codes that left the
file stay in the table (old call logs still show their labels).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.model import Categories
from models.categories import CategoryEntry

SORT_STEP = 10  # gaps let an administrator slot an entry in between


@dataclass
class SeedReport:
    inserted: list[str] = field(default_factory=list)  # "list:code"
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    not_in_config: list[str] = field(default_factory=list)  # kept, never deleted

    def summary(self) -> str:
        return (
            f"{len(self.inserted)} inserted, {len(self.updated)} updated, "
            f"{self.unchanged} unchanged, {len(self.not_in_config)} kept that the config no "
            "longer lists"
        )


def seed_categories(session: Session, categories: Categories) -> SeedReport:
    report = SeedReport()
    existing = {(row.list_name, row.code): row for row in session.scalars(select(CategoryEntry))}
    seen: set[tuple[str, str]] = set()
    for list_name, entries in categories.lists.items():
        for position, category in enumerate(entries):
            key = (list_name, category.code)
            seen.add(key)
            wanted = {
                "label_zh": category.label_zh,
                "gloss_en": category.gloss_en,
                "parent_code": category.parent,
                "flags": list(category.flags),
            }
            row = existing.get(key)
            if row is None:
                session.add(
                    CategoryEntry(
                        list_name=list_name,
                        code=category.code,
                        is_active=True,
                        sort_order=(position + 1) * SORT_STEP,
                        **wanted,
                    )
                )
                report.inserted.append(f"{list_name}:{category.code}")
                continue
            changed = {k: v for k, v in wanted.items() if getattr(row, k) != v}
            for name, value in changed.items():
                setattr(row, name, value)
            if changed:
                report.updated.append(f"{list_name}:{category.code}")
            else:
                report.unchanged += 1
    report.not_in_config = sorted(f"{ln}:{code}" for ln, code in existing.keys() - seen)
    session.flush()
    return report


def active_codes(session: Session, list_name: str) -> set[str]:
    query = select(CategoryEntry.code).where(
        CategoryEntry.list_name == list_name, CategoryEntry.is_active.is_(True)
    )
    return set(session.scalars(query))
