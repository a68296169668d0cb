"""Mandarin text normalisation: digits and symbols in Chinese context -> Han characters.

Choices: years and phone numbers are read digit by digit (phone 1 as 幺); money is read formally
(3.5元 -> 三点五元); times as 三点三十分 (minutes under ten as 零五分)."""

from __future__ import annotations

import re

import cn2an

DIGITS = "零一二三四五六七八九"
PHONE_DIGITS = "零幺二三四五六七八九"
UNITS = {
    "km/h": "公里每小时",
    "km": "公里",
    "cm": "厘米",
    "mm": "毫米",
    "kg": "千克",
    "mg": "毫克",
    "ml": "毫升",
    "m²": "平方米",
    "㎡": "平方米",
    "m": "米",
    "g": "克",
    "t": "吨",
    "L": "升",
    "l": "升",
    "℃": "摄氏度",
    "°C": "摄氏度",
    "℉": "华氏度",
    "°F": "华氏度",
    "°": "度",
    "GB": "G B",
    "MB": "M B",
    "kW": "千瓦",
    "h": "小时",
    "s": "秒",
    "min": "分钟",
}
CURRENCY_PREFIX = {"¥": "元", "￥": "元", "$": "美元", "€": "欧元", "£": "英镑"}
FULLWIDTH = str.maketrans("０１２３４５６７８９．％：－／", "0123456789.%:-/")
NUM = r"\d+(?:\.\d+)?"

RE_PHONE = re.compile(
    r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d[- ]?\d{4}[- ]?\d{4}|0\d{2,3}-\d{7,8}|\d{3}-\d{3,4}-\d{4}"
    r"|110|119|120|122|114|10086|10010|12315)(?![\d.])"
)
RE_DATE_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
RE_YEAR = re.compile(r"(?<![\d.])(\d{2,4})(?=年)")
RE_TIME = re.compile(r"(?<![\d.])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d])")
RE_CURRENCY = re.compile(rf"([¥￥$€£])\s?({NUM})(万|亿)?")
RE_PERCENT = re.compile(rf"(-?{NUM})%")
RE_UNIT = re.compile(
    rf"({NUM})\s?({'|'.join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))})"
    r"(?![A-Za-z])"
)
RE_RANGE = re.compile(rf"({NUM})[-~～]({NUM})")
RE_NUMBER = re.compile(rf"-?{NUM}")


def digits(s: str, one: str = "一") -> str:
    return "".join((one if c == "1" else DIGITS[int(c)]) if c.isdigit() else "" for c in s)


def number(s: str) -> str:
    """Cardinal or decimal in Han characters: 3.5 -> 三点五, 10086 -> 一万零八十六."""
    return cn2an.an2cn(s, "low")


def _phone(m: re.Match[str]) -> str:
    return digits(m.group(0), one="幺")


def _date(m: re.Match[str]) -> str:
    y, mo, d = m.groups()
    return f"{digits(y)}年{number(str(int(mo)))}月{number(str(int(d)))}日"


def _time(m: re.Match[str]) -> str:
    h, mi, sec = m.group(1), int(m.group(2)), m.group(3)
    if int(h) > 24 or mi > 59:
        return m.group(0)
    words = f"{number(str(int(h)))}点" + ("整" if mi == 0 and not sec else "")
    if mi:
        words += ("零" if mi < 10 else "") + number(str(mi)) + "分"
    if sec:
        words += number(str(int(sec))) + "秒"
    return words


def _currency(m: re.Match[str]) -> str:
    sym, n, big = m.groups()
    return number(n) + (big or "") + CURRENCY_PREFIX[sym]


def _percent(m: re.Match[str]) -> str:
    n = m.group(1)
    return ("负" if n.startswith("-") else "") + "百分之" + number(n.lstrip("-"))


def _number(m: re.Match[str]) -> str:
    n = m.group(0)
    return ("负" if n.startswith("-") else "") + number(n.lstrip("-"))


def normalise(text: str) -> str:
    """Chinese text with every digit, number and unit symbol spelled in Han characters."""
    text = text.translate(FULLWIDTH)
    text = RE_PHONE.sub(_phone, text)
    text = RE_DATE_ISO.sub(_date, text)
    text = RE_YEAR.sub(lambda m: digits(m.group(1)), text)
    text = RE_TIME.sub(_time, text)
    text = RE_CURRENCY.sub(_currency, text)
    text = RE_PERCENT.sub(_percent, text)
    text = RE_RANGE.sub(lambda m: f"{m.group(1)}到{m.group(2)}", text)
    text = RE_UNIT.sub(lambda m: m.group(1) + UNITS[m.group(2)], text)
    return RE_NUMBER.sub(_number, text)
