"""Plausible, made-up Chinese names for synthetic companies and investors.

A company name is a 2-character word (two characters from curated lists: 智云, 数联, 睿控…) or,
when a run needs more names than that space holds comfortably, a 3-character word, followed by a
suffix that fits its segment (科技, 网络, 软件, 自动化…); suffixes differ between segments, so
names are unique within a segment and across segments. Investor names follow the same scheme with
firm suffixes by kind (创投, 资本, 产业基金, 集团…). Names are sampled without replacement from
the index space, so generating a million of them is a few numpy calls. Well-known real names (the
seed's companies and investors, plus a short block list) are never produced.

>>> import numpy as np
>>> names = company_names(np.random.default_rng(0), np.array([6, 6, 0, 0, 0, 0, 1]))
>>> len(set(names)) == 13 and all(len(n) >= 3 for n in names)
True
"""
from __future__ import annotations

import numpy as np

from ontology import load as load_ontology, norm_key

__all__ = ["company_names", "investor_names", "SEGMENT_SUFFIXES", "INVESTOR_SUFFIXES", "BLOCKED", "capacity"]

# first and second characters of the 2-character word; the third (for 3-character words) from _C3
_C1 = list("智云数睿博天恒新达弘精易优卓信泰锐光启鼎迅捷宇极格鸿凌灵飞远景朗瀚烁驰源维合嘉晟铭芯码链微擎拓"
           "思图昊翼墨蓝青星辰朔岚衡致")
_C2 = list("云联智数芯达创通信捷迈拓析控图途象界元帆行峰阳辰宸星擎盾链策匠造算维视感测动力物能量衡航致"
           "谱鲸羚驰锋睿杰")
_C3 = list("云联智数达通信科途元峰阳辰星盾策匠算维视测动能衡航谱锐源合泽川禾")

# suffix lists are disjoint across segments (keys are the ontology's segment names)
SEGMENT_SUFFIXES: dict[str, list[str]] = {
    "网络及标识": ["网络", "通信", "网联", "标识", "物联网络", "通讯", "光网", "无线"],
    "平台": ["云", "工业互联网", "互联", "云科技", "数据平台", "云平台", "工业云", "平台科技"],
    "安全": ["安全", "信息安全", "网安", "信安", "安全技术", "数安科技", "安全科技", "可信科技"],
    "工业软件及APP": ["软件", "信息", "数字", "软件技术", "数据科技", "仿真", "工业软件", "信息技术"],
    "工业自动化与边缘计算": ["自动化", "控制", "智控", "边缘计算", "传感", "电气", "工控", "控制技术"],
    "工业智能设备": ["智能装备", "机器人", "装备", "精密", "机电", "激光", "视觉", "智能设备"],
    "相关服务": ["科技", "技术", "智造", "智能", "数智", "工业服务", "供应链", "科技服务"],
}

# investors: (2-character word lists, suffixes by kind)
_I1 = list("星远青北云启晨恒嘉瑞盛鼎磐泓澜德誉元弘乾坤朗清明和君正信睿融金银山海长东南西天宏博安丰")
_I2 = list("河航松湖辰帆峰源石桥岳泉原策远鸿图禾木润达丰晖光川越岭谷舟翼港湾原野田")
INVESTOR_SUFFIXES: dict[str, list[str]] = {
    "vc": ["创投", "资本", "创业投资", "投资", "创新投资", "天使投资"],
    "pe": ["资本管理", "股权投资", "投资管理", "资产管理"],
    "cvc": ["产业投资", "产投", "产业资本"],
    "state_fund": ["产业基金", "引导基金", "科创基金"],
    "corporate": ["集团", "控股", "科技集团", "实业"],
}

# real names the generator must not produce (besides every name in the ontology and the seed)
BLOCKED = {
    "华为", "中兴", "海尔", "树根互联", "华云数据", "中控技术", "汇川技术", "和利时", "宝信软件", "用友", "金蝶",
    "东方国信", "寄云科技", "黑湖智造", "徐工信息", "卡奥斯", "天泽智云", "昆仑数据", "忽米网", "朗坤智慧",
    "蘑菇物联", "云智慧", "雪浪云", "根云", "智能云科", "云从科技", "旷视科技", "商汤科技", "优必选",
    "极智嘉", "快仓智能", "梅卡曼德", "思灵机器人", "星云智联", "数之联", "创新奇智", "第四范式",
    "明略科技", "蓝湖资本", "星河资本", "远航资本", "松禾资本", "君联资本", "启明创投", "经纬创投", "北极光创投",
    "元禾原点", "峰瑞资本", "明势资本", "云启资本", "蓝驰创投", "德同资本", "达晨创投", "昆仑资本",
}


def _blocked() -> set[str]:
    onto = load_ontology()
    out = {norm_key(x) for x in BLOCKED}
    for inv in onto.investors:
        out.update(norm_key(a) for a in (inv.name, inv.name_en, *inv.aliases) if a)
    try:
        from loaders.seed import read_seed

        for rec in read_seed("listings.yaml"):
            out.add(norm_key(rec["company"]))
        for rec in read_seed("lighthouses.yaml"):
            out.add(norm_key(rec["company"]))
    except (OSError, KeyError):  # pragma: no cover - the seed data ships with the package
        pass
    return out


def _words2(c1, c2) -> np.ndarray:
    return np.array([a + b for a in c1 for b in c2 if a != b])


def _words3(c1, c2, c3) -> np.ndarray:
    return np.array([a + b + c for a in c1 for b in c2 for c in c3 if len({a, b, c}) == 3])


_W2 = _W3 = None


def _company_words():
    global _W2, _W3
    if _W2 is None:
        _W2, _W3 = _words2(_C1, _C2), _words3(_C1, _C2, _C3)
    return _W2, _W3


def capacity(segment: str) -> int:
    """How many distinct company names one segment can have."""
    w2, w3 = _company_words()
    return (len(w2) + len(w3)) * len(SEGMENT_SUFFIXES[segment])


def _sample(rng, words: np.ndarray, suffixes: list[str], k: int, blocked: set[str]) -> list[str]:
    """``k`` distinct word+suffix names, none in ``blocked`` (which gets them added)."""
    space = len(words) * len(suffixes)
    sfx = np.array(suffixes)
    out: list[str] = []
    used = None
    while len(out) < k:
        need = k - len(out)
        if used is None:
            take = min(space, need + 16 + need // 20)
            picked = rng.choice(space, size=take, replace=False)
            used = np.zeros(space, bool)
        else:
            free = np.flatnonzero(~used)
            if not len(free):
                raise ValueError(f"cannot make {k} distinct names from {space}")
            picked = free[rng.choice(len(free), size=min(len(free), need + 16 + need // 2), replace=False)]
        used[picked] = True
        names = [w + x for w, x in zip(words[picked // len(suffixes)].tolist(), sfx[picked % len(suffixes)].tolist())]
        for n in names:               # Chinese characters only: already their own norm_key
            if n not in blocked and len(out) < k:
                blocked.add(n)        # distinct (index) pairs can spell the same name: 星河+云科技, 星河云+科技
                out.append(n)
    return out


def company_names(rng: np.random.Generator, seg_counts: np.ndarray, segments: list[str] | None = None,
                  avoid=()) -> list[str]:
    """Names for companies, ``seg_counts[i]`` of them in segment ``segments[i]`` (ontology order by
    default), grouped in that order. Short (4-character) names while the 2-character space is roomy.
    Names in ``avoid`` (and real ones) are never produced."""
    segs = segments or [s.name for s in load_ontology().segments]
    blocked = _blocked() | {norm_key(x) for x in avoid}
    w2, w3 = _company_words()
    out: list[str] = []
    for seg, k in zip(segs, np.asarray(seg_counts, dtype=np.int64).tolist()):
        sfx = SEGMENT_SUFFIXES[seg]
        if k <= len(w2) * len(sfx) // 3:
            out.extend(_sample(rng, w2, sfx, k, blocked))
        else:
            if k > capacity(seg) * 0.8 - len(avoid):
                raise ValueError(f"{k} companies in {seg} exceed the name space ({capacity(seg)})")
            out.extend(_sample(rng, np.concatenate([w2, w3]), sfx, k, blocked))
    return out


def investor_names(rng: np.random.Generator, kinds: list[str], cities: list[str] | None = None,
                   avoid=()) -> list[str]:
    """One distinct name per investor of the given kinds (state funds carry a city: 苏州恒源产业基金)."""
    blocked = _blocked() | {norm_key(x) for x in avoid}
    words = _words2(_I1, _I2)
    out: list[str | None] = [None] * len(kinds)
    kinds_arr = np.array(kinds)
    for kind, sfx in INVESTOR_SUFFIXES.items():
        idx = np.flatnonzero(kinds_arr == kind)
        if not len(idx):
            continue
        ws = words
        if kind == "state_fund":
            pool = cities or ["苏州", "杭州", "合肥", "成都", "武汉", "西安", "深圳", "广州", "南京", "北京", "上海"]
            ws = np.array([c + w for c in pool for w in words])
        if len(idx) > len(ws) * len(sfx) * 0.8:
            ws = np.concatenate([ws, _words3(_I1, _I2, _C3)])
        names = _sample(rng, ws, sfx, len(idx), blocked)
        for i, n in zip(idx.tolist(), names):
            out[i] = n
    return out  # type: ignore[return-value]

