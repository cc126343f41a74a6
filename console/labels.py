"""What staff read on screen for the database's codes (Simplified Chinese)."""

from __future__ import annotations

from routing.reasons import render_stored

OUTCOMES = {
    "in_progress": "进行中/未结束",
    "answered": "已接听",
    "voicemail": "留言",
    "abandoned_greeting": "问候语时挂机",
    "abandoned_menu": "选择菜单时挂机",
    "abandoned_ringing": "振铃时挂机",
    "failed": "系统故障",
}

LOG_STATES = {
    "missing": "未填写",
    "incomplete": "未填完",
    "complete": "已填写",
    "not_needed": "无需填写",
}

ROLES = {"operator": "接线员", "supervisor": "督导", "admin": "管理员"}

AUDIT_ACTIONS = {
    "play": "播放",
    "download": "下载",
    "log_saved": "保存服务记录",
    "voicemail_handled": "处理留言",
    "sample_drawn": "抽查抽样",
    "evaluated": "质量评分",
    "undercover_marked": "标记暗访",
    "login": "登录",
    "user_saved": "保存用户",
    "user_enabled": "启用用户",
    "user_disabled": "停用用户",
}

OBJECT_TYPES = {
    "recording": "录音",
    "voicemail": "留言",
    "call": "通话",
    "spot_check": "抽查",
    "user": "用户",
    "report": "使用情况报告",
}

FLAGS = {"normal": "正常来电", "test": "测试呼叫", "undercover": "暗访"}

STRATA = {"centre": "按中心", "operator": "按接线员"}

VERDICTS = {"passed": "合格", "failed": "不合格"}


def open_reason_zh(reason: str | None) -> str:
    """A stored reason code (routing.reasons) as staff read it."""
    return render_stored(reason, "zh") if reason else "—"
