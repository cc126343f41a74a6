"""`hotline12330 prompt`: generate the default voice prompts, import recorded ones, list them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config.centres_file import load_centres
from config.model import Directory
from config.problems import ConfigInvalid, Report
from config.settings import Settings, load_settings
from recordings.names import PromptNameError, centre_prompt_name, required_prompt_names
from recordings.prompts import generate_default_prompts, import_prompt, list_prompts
from recordings.tts import SpeechError


def register(subparsers: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", type=Path, metavar="PATH", help="settings file (default: HOTLINE12330_CONFIG)"
    )
    parser = subparsers.add_parser(
        "prompt",
        help="generate, import and list voice prompts",
        description="Voice prompts in the prompts directory (8 kHz mono 16-bit WAV).",
    )
    actions = parser.add_subparsers(dest="prompt_command", required=True, metavar="ACTION")

    generate = actions.add_parser(
        "generate",
        parents=[common],
        help="speak the default prompts with espeak-ng (imported prompts are kept)",
    )
    generate.add_argument(
        "--force", action="store_true", help="re-speak every generated prompt, even unchanged ones"
    )
    generate.set_defaults(func=run)

    imported = actions.add_parser(
        "import",
        parents=[common],
        help="convert an audio file (mp3, m4a, ogg, wav...) into a prompt",
    )
    imported.add_argument("file", type=Path, metavar="FILE")
    imported.add_argument(
        "--as",
        dest="name",
        required=True,
        metavar="NAME",
        help="greeting, voicemail, fallback-greeting, invalid, timeout, menu-<area code>, "
        "or any name of lowercase letters, digits and '-'",
    )
    imported.add_argument(
        "--centre", metavar="ID", help="make it this centre's own version: <NAME>-<ID>.wav"
    )
    imported.set_defaults(func=run)

    listing = actions.add_parser("list", parents=[common], help="show prompts and their state")
    listing.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    try:
        if args.prompt_command == "generate":
            return _generate(settings, force=args.force)
        if args.prompt_command == "import":
            return _import(settings, args.file, args.name, args.centre)
        return _list(settings)
    except PromptNameError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigInvalid as exc:
        print(f"error: the configuration is invalid:\n{exc}", file=sys.stderr)
        return 2
    except (ValueError, SpeechError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _load_directory(settings: Settings) -> Directory:
    # Prompt files are not checked here: generating them is what this command is for.
    report = Report(settings.centres_file)
    result = load_centres(settings.centres_file, report, prompts_dir=None)
    if result.directory is None:
        raise ConfigInvalid(report.problems)
    return result.directory


def _generate(settings: Settings, *, force: bool) -> int:
    directory = _load_directory(settings)
    written = generate_default_prompts(settings.prompts_dir, directory.menus, overwrite=force)
    for path in written:
        print(f"generated {path}")
    defaults = set(required_prompt_names(directory.menus))
    for info in list_prompts(settings.prompts_dir):
        if info.source == "imported" and info.name in defaults:
            print(f"kept imported {info.path}")
    if not written:
        print(f"all generated prompts in {settings.prompts_dir} are up to date")
    return 0


def _import(settings: Settings, source: Path, name: str, centre_id: str | None) -> int:
    centre_prompt_name(name, centre_id)  # a mistyped name is reported before anything else
    if centre_id is not None:
        known = [c.id for c in _load_directory(settings).centres]
        if centre_id not in known:
            print(
                f"error: unknown centre {centre_id!r}; centres: {', '.join(known)}",
                file=sys.stderr,
            )
            return 2
    result = import_prompt(settings.prompts_dir, source, name, centre_id=centre_id)
    print(
        f"imported {source} -> {result.path} "
        f"({result.duration_seconds:.1f} s, from {result.source_rate} Hz "
        f"{result.source_channels} channel(s) to 8000 Hz mono 16-bit)"
    )
    if result.config_line:
        print(
            f"to use it, set in {settings.centres_file} under the [[centre]] with "
            f'id = "{centre_id}":\n  {result.config_line}'
        )
    return 0


def _list(settings: Settings) -> int:
    prompts = list_prompts(settings.prompts_dir)
    present = {p.name for p in prompts if p.source is not None}
    try:
        required = required_prompt_names(_load_directory(settings).menus)
    except ConfigInvalid:
        print(
            "warning: the configuration is invalid; cannot tell which prompts are needed",
            file=sys.stderr,
        )
        required = []
    absent = [name for name in required if name not in present]
    if not prompts and not absent:
        print(f"no prompts in {settings.prompts_dir}; run: hotline12330 prompt generate")
        return 0
    rows = [
        (p.name, f"{p.duration_seconds:7.1f} s", p.source or "missing", p.problem)
        for p in prompts
        if p.source is not None or p.name not in absent
    ]
    rows += [
        (name, "      - s", "missing", "需要但不存在：hotline12330 prompt generate")
        for name in absent
    ]
    width = max(len(row[0]) for row in rows)
    for name, duration, source, problem in sorted(rows):
        print(f"{name:<{width}}  {duration}  {source:<9}  {problem}".rstrip())
    return 1 if absent else 0
