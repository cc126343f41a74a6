"""Which prompt files were generated and which an operator imported.

Kept as a small JSON file in the prompts directory so `prompt generate` can refresh
its own files and never touch a recording someone made. A WAV file that the
manifest does not know was put there by hand and counts as imported.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MANIFEST_NAME = "prompts-manifest.json"
_FORMAT = 1

PromptSource = Literal["generated", "imported"]


class ManifestError(ValueError):
    """The manifest is unreadable; the message says which file and how to recover."""


@dataclass(frozen=True)
class ManifestEntry:
    source: PromptSource
    # For generated prompts: hash of voice, speed and text, so an edited text is re-spoken.
    fingerprint: str = ""
    text: str = ""
    # For imported prompts: the file the operator gave.
    original_name: str = ""
    updated_at: str = ""

    def to_json(self) -> dict[str, str]:
        data = {"source": self.source, "updated_at": self.updated_at}
        if self.source == "generated":
            data |= {"fingerprint": self.fingerprint, "text": self.text}
        else:
            data |= {"original_name": self.original_name}
        return data


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def manifest_path(prompts_dir: Path) -> Path:
    return prompts_dir / MANIFEST_NAME


def read_manifest(prompts_dir: Path) -> dict[str, ManifestEntry]:
    path = manifest_path(prompts_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(_damaged(path, f"not valid JSON: {exc}")) from exc

    prompts = raw.get("prompts") if isinstance(raw, dict) else None
    if not isinstance(prompts, dict):
        raise ManifestError(_damaged(path, 'no "prompts" object'))
    entries: dict[str, ManifestEntry] = {}
    for name, item in prompts.items():
        if not isinstance(item, dict) or item.get("source") not in ("generated", "imported"):
            raise ManifestError(_damaged(path, f"entry {name!r} has no valid source"))
        entries[name] = ManifestEntry(
            source=item["source"],
            fingerprint=str(item.get("fingerprint", "")),
            text=str(item.get("text", "")),
            original_name=str(item.get("original_name", "")),
            updated_at=str(item.get("updated_at", "")),
        )
    return entries


def write_manifest(prompts_dir: Path, entries: dict[str, ManifestEntry]) -> None:
    """Replace the manifest atomically (temp file + rename)."""
    prompts_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": _FORMAT,
        "prompts": {name: entries[name].to_json() for name in sorted(entries)},
    }
    fd, tmp_name = tempfile.mkstemp(prefix=".manifest.", suffix=".tmp", dir=prompts_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
        os.chmod(tmp_name, 0o644)  # mkstemp makes it private; the prompts are not secret
        os.replace(tmp_name, manifest_path(prompts_dir))
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _damaged(path: Path, detail: str) -> str:
    # Guessing would risk overwriting an imported recording, so stop and ask.
    return (
        f"{path}: {detail}. 提示音清单已损坏：请修复或删除该文件"
        "（删除后现有的 WAV 文件都按导入的处理，不会被覆盖）"
    )
