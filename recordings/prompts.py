"""Default prompt generation, operator prompt import and the prompt listing.

All prompts end up as Asterisk's "wav": 8 kHz mono 16-bit PCM, named <name>.wav in
the prompts directory. Blocking (espeak-ng, ffmpeg): admin commands only.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from config.model import Menu
from recordings.audio import (
    WAV_PARSE_ERRORS,
    AudioError,
    load_audio,
    probe_duration,
    read_wav_info,
    segment_is_silent,
    to_telephony,
    write_wav_atomically,
)
from recordings.manifest import (
    ManifestEntry,
    PromptSource,
    now_iso,
    read_manifest,
    write_manifest,
)
from recordings.names import (
    GREETING,
    VOICEMAIL,
    centre_prompt_name,
    menu_prompt_name,
    validate_prompt_name,
)
from recordings.prompt_texts import PromptTexts, load_prompt_texts, menu_text
from recordings.tts import SpeechError, check_voice, synthesize

MAX_IMPORT_SECONDS = 300.0  # a prompt longer than 5 minutes is surely the wrong file
# Centre-specific prompts that centres.toml can point at (config.model.Prompts fields).
CENTRE_PROMPT_FIELDS = (GREETING, VOICEMAIL)


class PromptError(ValueError):
    """A prompt that cannot be generated or imported; nothing was written."""


@dataclass(frozen=True)
class ImportedPrompt:
    name: str
    path: Path
    duration_seconds: float
    source_rate: int
    source_channels: int
    config_line: str  # the centres.toml line that makes a centre use it; "" if none applies


@dataclass(frozen=True)
class PromptInfo:
    name: str
    path: Path
    source: PromptSource | None  # None: listed in the manifest but the file is gone
    duration_seconds: float
    problem: str = ""  # why Asterisk could not play it as is; "" when fine


def prompt_path(prompts_dir: Path, name: str) -> Path:
    return prompts_dir / f"{validate_prompt_name(name)}.wav"


def default_prompt_texts(menus: Iterable[Menu], texts: PromptTexts) -> dict[str, str]:
    """Prompt name -> spoken text for every prompt generate_default_prompts makes."""
    result = dict(texts.texts)
    for menu in menus:
        result[menu_prompt_name(menu.area_code)] = menu_text(menu, texts.menu)
    return result


def generate_default_prompts(
    prompts_dir: Path,
    menus: Iterable[Menu],
    *,
    overwrite: bool = False,
    texts: PromptTexts | None = None,
) -> list[Path]:
    """Synthesise missing default prompts; return the files written.

    A generated prompt is re-spoken when its text or voice changed, or always with
    `overwrite`. A prompt an operator imported (or put in the directory by hand) is
    never overwritten; if its file is deleted, the default takes its place again.
    """
    texts = texts or load_prompt_texts()
    wanted = default_prompt_texts(menus, texts)
    manifest = read_manifest(prompts_dir)
    check_voice(texts.voice)
    written: list[Path] = []
    for name, text in wanted.items():
        path = prompt_path(prompts_dir, name)
        fingerprint = _fingerprint(texts, text)
        entry = manifest.get(name)
        if path.exists():
            if entry is None or entry.source != "generated":
                continue  # the operator's recording wins
            if not overwrite and entry.fingerprint == fingerprint:
                continue
        audio = to_telephony(
            synthesize(text, voice=texts.voice, words_per_minute=texts.words_per_minute)
        )
        if segment_is_silent(audio):
            raise SpeechError(f"espeak-ng 为 {name} 生成了静音（语音 {texts.voice}）")
        write_wav_atomically(audio, path)
        # Record each file as soon as it exists, so a later failure keeps it known.
        manifest[name] = ManifestEntry(
            source="generated", fingerprint=fingerprint, text=text, updated_at=now_iso()
        )
        write_manifest(prompts_dir, manifest)
        written.append(path)
    return written


def import_prompt(
    prompts_dir: Path,
    source: Path,
    name: str,
    *,
    centre_id: str | None = None,
    max_seconds: float = MAX_IMPORT_SECONDS,
) -> ImportedPrompt:
    """Convert any audio ffmpeg reads into the prompt <name>[-<centre_id>].wav."""
    final_name = centre_prompt_name(name, centre_id)
    if not source.is_file():
        raise PromptError(f"找不到音频文件：{source}")
    if source.stat().st_size == 0:
        raise PromptError(f"音频文件为空：{source}")
    try:
        # Probe first: refuses a wrong, huge file before it is decoded into memory.
        probed = probe_duration(source)
        if probed is not None and probed > max_seconds + 1:
            raise PromptError(_too_long(source, max_seconds))
        original = load_audio(source)
    except AudioError as exc:
        raise PromptError(str(exc)) from exc
    if len(original) == 0:
        raise PromptError(f"音频文件没有声音内容：{source}")
    if len(original) / 1000 > max_seconds:
        raise PromptError(_too_long(source, max_seconds))
    if math.isinf(original.dBFS):
        raise PromptError(f"音频文件全是静音：{source}")

    audio = to_telephony(original)
    path = prompt_path(prompts_dir, final_name)
    manifest = read_manifest(prompts_dir)  # fail on a damaged manifest before writing
    write_wav_atomically(audio, path)
    manifest[final_name] = ManifestEntry(
        source="imported", original_name=source.name, updated_at=now_iso()
    )
    write_manifest(prompts_dir, manifest)
    return ImportedPrompt(
        name=final_name,
        path=path,
        duration_seconds=len(audio) / 1000,
        source_rate=original.frame_rate,
        source_channels=original.channels,
        config_line=_config_line(name, centre_id, final_name),
    )


def list_prompts(prompts_dir: Path) -> list[PromptInfo]:
    """Every prompt file in the directory plus manifest entries whose file is gone."""
    manifest = read_manifest(prompts_dir)
    infos: dict[str, PromptInfo] = {}
    files = sorted(prompts_dir.glob("*.wav")) if prompts_dir.is_dir() else []
    for path in files:
        entry = manifest.get(path.stem)
        source: PromptSource = entry.source if entry else "imported"
        duration, problem = _playable(path)
        infos[path.stem] = PromptInfo(path.stem, path, source, duration, problem)
    for name in manifest:
        if name not in infos:
            infos[name] = PromptInfo(name, prompts_dir / f"{name}.wav", None, 0.0, "文件不存在")
    return [infos[name] for name in sorted(infos)]


def _playable(path: Path) -> tuple[float, str]:
    try:
        info = read_wav_info(path)
    except (OSError, *WAV_PARSE_ERRORS) as exc:
        return 0.0, f"不是可读的 PCM WAV：{exc}"
    if not info.is_telephony:
        return info.duration_seconds, (
            f"格式为 {info.rate} Hz、{info.channels} 声道、{info.sample_width * 8} 位，"
            "应为 8000 Hz 单声道 16 位（请用 prompt import 重新导入）"
        )
    if info.frames == 0:
        return 0.0, "没有音频数据"
    return info.duration_seconds, ""


def _fingerprint(texts: PromptTexts, text: str) -> str:
    key = f"{texts.voice}\n{texts.words_per_minute}\n{text}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _too_long(source: Path, max_seconds: float) -> str:
    return f"音频太长（超过 {max_seconds / 60:g} 分钟），请确认文件：{source}"


def _config_line(name: str, centre_id: str | None, final_name: str) -> str:
    if centre_id is None or name not in CENTRE_PROMPT_FIELDS:
        return ""
    return f'centre.prompts.{name} = "{final_name}"'
