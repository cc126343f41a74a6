"""What staff read on screen for the database's codes (Simplified Chinese)."""

from __future__ import annotations

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

# The routing core writes its reasons in English (logs, `route`); staff read them in Chinese.
# Longest phrases first, so "make-up working day but no weekday opening hours" wins over
# "make-up working day".
_REASON_PHRASES = (
    ("make-up working day but no weekday opening hours", "调休工作日，但工作日无开放时间"),
    ("outside opening hours", "非工作时间"),
    ("statutory holiday", "法定节假日"),
    ("make-up working day", "调休工作日"),
    ("working hours", "工作时间"),
    ("special hours:", "特殊时间："),
    ("special hours", "特殊时间"),
    ("local closure", "本中心闭馆"),
    ("lunch break", "午休"),
    ("before opening", "尚未开始办公，开始于"),
    ("after closing", "已下班，结束于"),
    ("no opening hours on ", "无开放时间的"),
    ("weekend", "周末"),
    ("Monday", "星期一"),
    ("Tuesday", "星期二"),
    ("Wednesday", "星期三"),
    ("Thursday", "星期四"),
    ("Friday", "星期五"),
    ("Saturday", "星期六"),
    ("Sunday", "星期日"),
    ("open: ", "开放："),
    ("closed: ", "关闭："),
)


def open_reason_zh(reason: str | None) -> str:
    if not reason:
        return "—"
    for english, chinese in _REASON_PHRASES:
        reason = reason.replace(english, chinese)
    return reason
