"""Seeding the category lists: upsert by (list, code), administrators' edits survive."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.categories_file import load_categories
from config.model import Categories, Category
from config.problems import Report
from config.settings import DEFAULTS_DIR
from models import CategoryEntry
from models.seed import active_codes, seed_categories

LISTS = Categories(
    lists={
        "ip_type": (
            Category("patent", "专利", "Patent"),
            Category("patent_invention", "发明", "Invention patent", parent="patent"),
            Category("trademark", "商标", "Trademark"),
        ),
        "caller_entity": (Category("enterprise", "企业", "Enterprise", flags=("sme",)),),
    }
)


def rows(session: Session) -> dict[tuple[str, str], CategoryEntry]:
    return {(r.list_name, r.code): r for r in session.scalars(select(CategoryEntry))}


def test_seed_inserts_every_entry_of_the_default_file(session: Session) -> None:
    report = Report("categories.toml")
    categories = load_categories(DEFAULTS_DIR / "categories.toml", report)
    assert categories is not None, report.problems
    result = seed_categories(session, categories)
    session.commit()
    expected = {(name, c.code) for name, entries in categories.lists.items() for c in entries}
    assert set(rows(session)) == expected
    assert len(result.inserted) == len(expected)
    again = seed_categories(session, categories)
    assert (again.inserted, again.updated, again.unchanged) == ([], [], len(expected))


def test_seed_stores_labels_parent_flags_and_file_order(session: Session) -> None:
    seed_categories(session, LISTS)
    session.commit()
    stored = rows(session)
    invention = stored[("ip_type", "patent_invention")]
    assert (invention.label_zh, invention.gloss_en, invention.parent_code) == (
        "发明",
        "Invention patent",
        "patent",
    )
    assert stored[("caller_entity", "enterprise")].flags == ["sme"]
    order = [
        r.code
        for r in sorted(stored.values(), key=lambda r: r.sort_order)
        if r.list_name == "ip_type"
    ]
    assert order == ["patent", "patent_invention", "trademark"]
    assert all(r.is_active for r in stored.values())


def test_reseed_keeps_admin_edits_and_removed_codes(session: Session) -> None:
    seed_categories(session, LISTS)
    session.commit()
    stored = rows(session)
    stored[("ip_type", "trademark")].is_active = False  # an administrator hides it
    stored[("ip_type", "patent")].sort_order = 99  # and moves patents last
    session.commit()

    changed = Categories(
        lists={
            "ip_type": (
                Category("patent", "专利（含假冒）", "Patent"),  # relabelled in the file
                Category("trademark", "商标", "Trademark"),
                Category("copyright", "著作权", "Copyright"),  # new
            ),  # patent_invention left the file
            "caller_entity": LISTS.lists["caller_entity"],
        }
    )
    result = seed_categories(session, changed)
    session.commit()
    session.expire_all()
    stored = rows(session)
    assert result.inserted == ["ip_type:copyright"]
    assert result.updated == ["ip_type:patent"]
    assert result.not_in_config == ["ip_type:patent_invention"]
    assert stored[("ip_type", "patent")].label_zh == "专利（含假冒）"
    assert stored[("ip_type", "patent")].sort_order == 99
    assert stored[("ip_type", "trademark")].is_active is False
    assert ("ip_type", "patent_invention") in stored
    assert active_codes(session, "ip_type") == {"patent", "patent_invention", "copyright"}


def test_reseed_updates_flags(session: Session) -> None:
    seed_categories(session, LISTS)
    session.commit()
    entity = dataclasses.replace(LISTS.lists["caller_entity"][0], flags=())
    result = seed_categories(session, Categories(lists={"caller_entity": (entity,)}))
    session.commit()
    session.expire_all()
    assert result.updated == ["caller_entity:enterprise"]
    assert rows(session)[("caller_entity", "enterprise")].flags == []
